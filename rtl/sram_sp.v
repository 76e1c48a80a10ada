// sram_sp.v: generic behavioural single-port synchronous SRAM with a per-lane
// write mask; the geometry-named wrappers (sram_sp_<DEPTH>x<WIDTH>.v) fix its
// parameters and are where a foundry macro replaces it.
//
// One access per cycle when ce is high: a write (we = 1) stores the lanes of
// wdata whose wmask bit is set and leaves rdata unchanged; a read (we = 0)
// returns mem[addr] on rdata after the next rising edge. rdata holds its value
// when ce is low. The array has no reset (contents are X until written).
`default_nettype none

module sram_sp #(
    parameter integer DEPTH  = 256,  // number of words, >= 2
    parameter integer WIDTH  = 32,   // word width in bits, >= 1
    parameter integer MASK_W = 4     // write-mask bits; each enables WIDTH/MASK_W bits (must divide WIDTH)
) (
    input  wire                     clk,    // clock, rising edge
    input  wire                     ce,     // chip enable: one access this cycle
    input  wire                     we,     // 1: write, 0: read (when ce)
    input  wire [MASK_W-1:0]        wmask,  // lane j (bits j*WIDTH/MASK_W +: WIDTH/MASK_W) written if set
    input  wire [$clog2(DEPTH)-1:0] addr,   // word address, 0..DEPTH-1
    input  wire [WIDTH-1:0]         wdata,  // write data
    output wire [WIDTH-1:0]         rdata   // read data, registered (valid the cycle after a read)
);

    // Parameter checks: an illegal value instantiates a module that does not exist,
    // so every tool stops at elaboration with the rule in the missing module's name.
    generate
        if (DEPTH < 2) begin : g_bad_depth
            sram_sp_parameter_error_DEPTH_must_be_at_least_2 u_param_error ();
        end
        if (WIDTH < 1) begin : g_bad_width
            sram_sp_parameter_error_WIDTH_must_be_at_least_1 u_param_error ();
        end
        if (MASK_W < 1 || (WIDTH % MASK_W) != 0) begin : g_bad_mask_w
            sram_sp_parameter_error_MASK_W_must_divide_WIDTH u_param_error ();
        end
    endgenerate

    localparam integer AW     = $clog2(DEPTH);  // address width
    localparam integer LANE_W = WIDTH / MASK_W;  // bits per write-mask lane

    // ------------------------------------------------------------------
    // FOUNDRY MACRO: in an ASIC build, replace everything from here to the
    // end-of-macro marker with the foundry single-port SRAM instance of this
    // geometry (clk, ce, we, per-lane write enables, addr, wdata, rdata).
    // ------------------------------------------------------------------
    wire [AW-1:0]   addr_d = addr;
    reg [WIDTH-1:0] mem_q [0:DEPTH-1];  // the array: no reset
    reg [WIDTH-1:0] rdata_q;
    integer         lane;

    always @(posedge clk) begin
        if (ce) begin
            if (we) begin
                for (lane = 0; lane < MASK_W; lane = lane + 1) begin
                    if (wmask[lane]) begin
                        mem_q[addr_d][lane*LANE_W +: LANE_W] <= wdata[lane*LANE_W +: LANE_W];
                    end
                end
            end else begin
                rdata_q <= mem_q[addr_d];
            end
        end
    end
    // ------------------------------------------------------------------
    // end of FOUNDRY MACRO
    // ------------------------------------------------------------------

    assign rdata = rdata_q;

endmodule

`default_nettype wire
