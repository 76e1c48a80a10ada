// sram_sp_fn.v: formal stand-in for rtl/sram_sp.v in the no-X miter (formal/top_nox.sv).
// Same ports and timing (a read returns its word on rdata after the clock edge, rdata
// holds otherwise and is not reset), but every word reads as a fixed function of its
// address and writes are dropped: both copies of the miter then see the same memory,
// so any difference between them comes from a register that reset left unknown.
`default_nettype none

module sram_sp #(
    parameter integer DEPTH  = 256,
    parameter integer WIDTH  = 32,
    parameter integer MASK_W = 4
) (
    input  wire                     clk,
    input  wire                     ce,
    input  wire                     we,
    input  wire [MASK_W-1:0]        wmask,
    input  wire [$clog2(DEPTH)-1:0] addr,
    input  wire [WIDTH-1:0]         wdata,
    output wire [WIDTH-1:0]         rdata
);
    localparam integer AW = $clog2(DEPTH);
    reg [WIDTH-1:0] rdata_q;
    always @(posedge clk) begin
        if (ce && !we) rdata_q <= {(WIDTH / AW + 1){addr ^ {AW{1'b1}}}};
    end
    assign rdata = rdata_q;
    wire _unused_ok = &{1'b0, wmask, wdata};
endmodule

`default_nettype wire
