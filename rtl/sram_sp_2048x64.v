// sram_sp_2048x64.v: weight memory: 2048 words of 8 int8 weights, one byte lane per MAC lane.
//
// Fixed geometry: 2048 words x 64 bits, 8 write-mask lanes of 8 bits,
// single port, registered read (access rules in sram_sp.v). The behavioural
// sram_sp instance below is the marked place for the foundry macro.
`default_nettype none

module sram_sp_2048x64 (
    input  wire        clk,    // clock, rising edge
    input  wire        ce,     // chip enable: one access this cycle
    input  wire        we,     // 1: write, 0: read (when ce)
    input  wire [7:0]  wmask,  // lane j (bits 8*j +: 8) is written if wmask[j]
    input  wire [10:0] addr,   // word address, 0..2047
    input  wire [63:0] wdata,  // write data
    output wire [63:0] rdata   // read data, registered: valid the cycle after a read
);

    localparam integer DEPTH  = 2048;  // words
    localparam integer WIDTH  = 64;    // bits per word
    localparam integer MASK_W = 8;     // write-mask lanes

    // FOUNDRY MACRO: replace this behavioural instance with the 2048 x 64 SRAM macro.
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
