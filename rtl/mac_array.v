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
`ifdef FORMAL_MUTANT_MAC_LANE_EN
                end else if (en) begin  // mutant: lane_en ignored
`else
                end else if (en && lane_en[m]) begin
`endif
                    sum_q <= sum_q + term_d;
                end
            end

            assign sum_o[SUM_W*m +: SUM_W] = sum_q;
        end
    endgenerate

`ifdef FORMAL
    // ------------------------------------------------------------------
    // Formal properties (docs/formal.md, formal/mac_array.sby), every lane:
    // exact accumulation of w*x, a lane moves only when enabled, clr/reset
    // clear, a zero input leaves every sum as it was.
    // ------------------------------------------------------------------
    reg f_past_q = 1'b0;
    always @(posedge clk) f_past_q <= 1'b1;
    always @(*) if (!f_past_q) assume (!rst_n);

    reg                     f_clr_q, f_en_q;
    reg [LANES-1:0]         f_lane_en_q;
    reg [7:0]               f_x_q;
    reg [LANES*8-1:0]       f_w_q;
    reg [LANES*SUM_W-1:0]   f_sum_q;
    always @(posedge clk) begin
        f_clr_q     <= !rst_n || clr;
        f_en_q      <= en;
        f_lane_en_q <= lane_en;
        f_x_q       <= x_i;
        f_w_q       <= w_i;
        f_sum_q     <= sum_o;
    end

    // per lane: the registered term is the exact product (|w*x| <= 32640 fits 17 bits), and
    // the sum moves by exactly that term when enabled, not at all otherwise
    wire [LANES-1:0] f_acc_ok_d, f_hold_ok_d, f_clr_ok_d, f_prod_ok_d;
    genvar f_m;
    generate
        for (f_m = 0; f_m < LANES; f_m = f_m + 1) begin : g_f_lane
            wire signed [SUM_W-1:0] f_now_d  = sum_o[SUM_W*f_m +: SUM_W];
            wire signed [SUM_W-1:0] f_was_d  = f_sum_q[SUM_W*f_m +: SUM_W];
            wire signed [31:0]      f_w32_d  = $signed(w_i[8*f_m +: 8]);
            wire signed [31:0]      f_x32_d  = $signed({24'd0, x_i});
            wire signed [31:0]      f_p32_d  = f_w32_d * f_x32_d;
            reg  signed [SUM_W-1:0] f_term_q;
            always @(posedge clk) f_term_q <= g_lane[f_m].term_d;
            wire f_go_d = !f_clr_q && f_en_q && f_lane_en_q[f_m];
            assign f_prod_ok_d[f_m] = ({{(SUM_W - 32){f_p32_d[31]}}, f_p32_d} == g_lane[f_m].term_d);
            assign f_acc_ok_d[f_m]  = !f_go_d || (f_now_d == f_was_d + f_term_q);
            assign f_hold_ok_d[f_m] = f_clr_q || f_go_d || (f_now_d == f_was_d);
            assign f_clr_ok_d[f_m]  = !f_clr_q || (f_now_d == 0);
        end
    endgenerate

    always @(*) if (f_past_q) begin
        ap_mac_accumulate: assert (&f_acc_ok_d);
        ap_mac_product: assert (&f_prod_ok_d);
        ap_mac_hold: assert (&f_hold_ok_d);
        ap_mac_clear: assert (&f_clr_ok_d);
        if (!f_clr_q && f_x_q == 0) ap_mac_zero: assert (sum_o == f_sum_q);
    end
    always @(*) if (f_past_q) begin
        cv_mac_accumulate: cover (!f_clr_q && f_en_q && &f_lane_en_q && f_x_q == 8'd255
                                  && f_w_q[7:0] == 8'h80 && sum_o != f_sum_q);
        cv_mac_product: cover (x_i == 8'd255 && w_i[7:0] == 8'h80);
        cv_mac_hold: cover (!f_clr_q && f_en_q && f_lane_en_q == 1 && f_x_q != 0 && f_w_q[15:8] != 0);
        cv_mac_clear: cover (f_clr_q && f_sum_q != 0);
        cv_mac_zero: cover (!f_clr_q && f_en_q && f_x_q == 0 && f_w_q != 0 && f_sum_q != 0);
    end
`endif
endmodule

`default_nettype wire
