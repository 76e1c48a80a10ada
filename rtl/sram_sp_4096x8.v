// sram_sp_4096x8.v: activation (count) buffer: 4096 bytes; two instances form the ping-pong pair.
//
// Fixed geometry: 4096 words x 8 bits, one write-mask lane of 8 bits,
// single port, registered read (access rules in sram_sp.v). The behavioural
// sram_sp instance below is the marked place for the foundry macro.
`default_nettype none

module sram_sp_4096x8 (
    input  wire        clk,    // clock, rising edge
    input  wire        ce,     // chip enable: one access this cycle
    input  wire        we,     // 1: write, 0: read (when ce)
    input  wire [0:0]  wmask,  // lane j (bits 8*j +: 8) is written if wmask[j]
    input  wire [11:0] addr,   // word address, 0..4095
    input  wire [7:0]  wdata,  // write data
    output wire [7:0]  rdata   // read data, registered: valid the cycle after a read
);

    localparam integer DEPTH  = 4096;  // words
    localparam integer WIDTH  = 8;     // bits per word
    localparam integer MASK_W = 1;     // write-mask lanes

    // FOUNDRY MACRO: replace this behavioural instance with the 4096 x 8 SRAM macro.
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
