// sram_sp_fn.v: formal stand-in for rtl/sram_sp.v in the no-X miter (formal/top_nox.sv,
// formal/sparrow_top.sby tasks nox*). Same ports and timing as the macro model: a read
// (ce && !we) puts its word on rdata after the clock edge and rdata holds until the next
// read. Two abstractions, both the same in the two copies of the miter:
// * every word reads as a fixed function of its address and writes are dropped (memory
//   contents are X until the host writes them, architecture §8: outside this check);
// * the read register's power-up value is modelled as unknown: until the first read after
//   the reset cycle rdata is a free input (f_junk_d), different in each copy and in every
//   cycle. A read during the reset cycle (step 0) does not count: its address comes from
//   registers that reset has not cleared yet.
// f_started_q / f_read_q / f_addr_q are modelling state (initial values are power-up
// facts of the model, not reset logic of the design).
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
    reg              f_started_q = 1'b0;          // past step 0 (the reset cycle)
    reg              f_read_q    = 1'b0;          // a read since then: rdata is a memory word
    reg [AW-1:0]     f_addr_q    = {AW{1'b0}};    // that read's address
    (* anyseq *) wire [WIDTH-1:0] f_junk_d;       // a free value in every cycle
    always @(posedge clk) begin
        f_started_q <= 1'b1;
        if (f_started_q && ce && !we) begin
            f_read_q <= 1'b1;
            f_addr_q <= addr;
        end
    end
    assign rdata = f_read_q ? {(WIDTH / AW + 1){f_addr_q ^ {AW{1'b1}}}} : f_junk_d;
    wire _unused_ok = &{1'b0, wmask, wdata};
endmodule

`default_nettype wire
