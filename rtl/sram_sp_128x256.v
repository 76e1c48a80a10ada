// sram_sp_128x256.v: bias memory: 128 groups of 8 signed 32-bit biases, one 32-bit lane per MAC lane.
//
// Fixed geometry: 128 words x 256 bits, 8 write-mask lanes of 32 bits,
// single port, registered read (access rules in sram_sp.v). The behavioural
// sram_sp instance below is the marked place for the foundry macro.
`default_nettype none

module sram_sp_128x256 (
    input  wire         clk,    // clock, rising edge
    input  wire         ce,     // chip enable: one access this cycle
    input  wire         we,     // 1: write, 0: read (when ce)
    input  wire [7:0]   wmask,  // lane j (bits 32*j +: 32) is written if wmask[j]
    input  wire [6:0]   addr,   // word address, 0..127
    input  wire [255:0] wdata,  // write data
    output wire [255:0] rdata   // read data, registered: valid the cycle after a read
);

    localparam integer DEPTH  = 128;   // words
    localparam integer WIDTH  = 256;   // bits per word
    localparam integer MASK_W = 8;     // write-mask lanes

    // FOUNDRY MACRO: replace this behavioural instance with the 128 x 256 SRAM macro.
    sram_sp #(
        .DEPTH  (DEPTH),
        .WIDTH  (WIDTH),
        .MASK_W (MASK_W)
    ) u_mem (
        .clk   (clk),
        .ce    (ce),
        .we    (we),
        .wmask (wmask),
        .addr  (addr),
        .wdata (wdata),
        .rdata (rdata)
    );

endmodule

`default_nettype wire
