// mac_array.v: LANES multiply-accumulate lanes; one unsigned 8-bit activation is
// broadcast to all lanes, each lane multiplies it by its own signed 8-bit weight.
//
// Each lane holds a signed ACC_W+1-bit sum (the weighted sum without the bias,
// see docs/architecture.md §1). Priority per cycle: reset, then clr (all lanes
// to 0), then en (lanes with lane_en set add w*x; others hold). Zero skipping
// is the controller's job: it simply does not assert en.
`default_nettype none

module mac_array #(
    parameter integer LANES = 8,   // number of lanes (output channels per group), >= 1
    parameter integer ACC_W = 32   // accumulator width; each lane sum is ACC_W+1 bits signed (>= 17)
) (
    input  wire                         clk,      // clock, rising edge
    input  wire                         rst_n,    // synchronous reset, active low: clears all sums
    input  wire                         clr,      // clear all sums this cycle (priority over en)
    input  wire                         en,       // accumulate this cycle
    input  wire [7:0]                   x_i,      // unsigned activation, broadcast to every lane
    input  wire [LANES*8-1:0]           w_i,      // lane m weight: signed w_i[8m+7:8m]
    input  wire [LANES-1:0]             lane_en,  // lane m accumulates on en only if lane_en[m]
    output wire [LANES*(ACC_W+1)-1:0]   sum_o     // lane m signed sum at bits (ACC_W+1)*m +: ACC_W+1
);

    // Parameter checks: an illegal value instantiates a module that does not exist,
    // so every tool stops at elaboration with the rule in the missing module's name.
    generate
        if (LANES < 1) begin : g_bad_lanes
            mac_array_parameter_error_LANES_must_be_at_least_1 u_param_error ();
        end
        if (ACC_W < 17) begin : g_bad_acc_w
            mac_array_parameter_error_ACC_W_must_be_at_least_17 u_param_error ();
        end
    endgenerate

    localparam integer SUM_W  = ACC_W + 1;  // lane sum width
    localparam integer PROD_W = 17;         // signed 9-bit x (0..255) times signed 8-bit w

    wire signed [8:0] x_s_d = {1'b0, x_i};  // activation as a non-negative signed value

    genvar m;
    generate
        for (m = 0; m < LANES; m = m + 1) begin : g_lane
            wire signed [7:0]        w_d    = w_i[8*m +: 8];
            wire signed [PROD_W-1:0] prod_d = x_s_d * w_d;  // exact: |w*x| <= 32640
            wire signed [SUM_W-1:0]  term_d = {{(SUM_W - PROD_W){prod_d[PROD_W-1]}}, prod_d};
            reg  signed [SUM_W-1:0]  sum_q;

            always @(posedge clk) begin
                if (!rst_n || clr) begin
                    sum_q <= {SUM_W{1'b0}};
                end else if (en && lane_en[m]) begin
                    sum_q <= sum_q + term_d;
                end
            end

            assign sum_o[SUM_W*m +: SUM_W] = sum_q;
        end
    endgenerate

endmodule

`default_nettype wire
