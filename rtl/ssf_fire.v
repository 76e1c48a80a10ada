// ssf_fire.v: one lane's SSF fire unit: adds the bias, then either fires
// y = min(T, max(0, floor(acc / theta))) or passes the logit acc through.
//
// acc = sum_i + bias_i is formed exactly in ACC_W+2 bits. The quotient is a
// combinational CNT_W-step restoring divider: if acc >> CNT_W >= theta the
// quotient is at least 2^CNT_W and saturates to 2^CNT_W-1 (overflow pre-check);
// otherwise acc >> CNT_W < theta is the initial partial remainder and CNT_W
// shift/compare/subtract steps produce the exact floor quotient. A negative
// acc fires 0. The result (or the logit, truncated to ACC_W bits; legal
// bundles guarantee it fits) is registered: outputs follow in_valid by one
// cycle. While in_valid is low the datapath's operands are held at zero
// (operand isolation), so the divider does not toggle with the MAC sums.
`default_nettype none

module ssf_fire #(
    parameter integer ACC_W = 32,  // accumulator width; y_o and bias_i width (>= CNT_W+1)
    parameter integer CNT_W = 8,   // spike-count width: T and the fired count are 0..2^CNT_W-1 (>= 1)
    parameter integer TH_W  = 16   // threshold width: theta is 1..2^TH_W-1 (>= 1)
) (
    input  wire                    clk,        // clock, rising edge
    input  wire                    rst_n,      // synchronous reset, active low: clears out_valid and y_o
    input  wire                    in_valid,   // the inputs below are valid this cycle
    input  wire signed [ACC_W:0]   sum_i,      // lane sum WITHOUT bias, ACC_W+1 bits signed
    input  wire signed [ACC_W-1:0] bias_i,     // lane bias, signed
    input  wire        [TH_W-1:0]  theta_i,    // threshold, >= 1 (0 saturates the quotient)
    input  wire        [CNT_W-1:0] t_i,        // SSF levels T, >= 1
    input  wire                    ssf_i,      // 1: ssf activation; 0: none (logit pass-through)
    output wire                    out_valid,  // y_o holds the result of the previous cycle's inputs
    output wire signed [ACC_W-1:0] y_o         // count (zero-extended) or logit (acc truncated to ACC_W)
);

    // ------------------------------------------------------------------
    // Parameter checks: an illegal value instantiates a module that does not
    // exist, so Icarus, Verilator and Yosys all stop at elaboration with the
    // rule spelled out in the missing module's name.
    // ------------------------------------------------------------------
    generate
        if (CNT_W < 1) begin : g_bad_cnt_w
            ssf_fire_parameter_error_CNT_W_must_be_at_least_1 u_param_error ();
        end
        if (TH_W < 1) begin : g_bad_th_w
            ssf_fire_parameter_error_TH_W_must_be_at_least_1 u_param_error ();
        end
        if (ACC_W < CNT_W + 1) begin : g_bad_acc_w
            ssf_fire_parameter_error_ACC_W_must_exceed_CNT_W u_param_error ();
        end
    endgenerate

    localparam integer SUM_W = ACC_W + 2;      // exact width of sum_i + bias_i
    localparam integer HI_W  = ACC_W + 1 - CNT_W;  // width of the non-negative acc >> CNT_W

    // ------------------------------------------------------------------
    // Operand isolation: the lane sum changes on every MAC cycle, but the
    // divider's result is only used when in_valid is high. Holding its
    // operand at zero otherwise keeps the adder and the CNT_W divider steps
    // from toggling on cycles whose result is thrown away (dynamic power;
    // event-driven simulators also skip the evaluation).
    // ------------------------------------------------------------------
`ifdef FORMAL_MUTANT_SSF_ISOLATION
    wire [ACC_W:0]   sum_g  = sum_i;   // mutant: operand isolation lost
`else
    wire [ACC_W:0]   sum_g  = in_valid ? sum_i : {(ACC_W + 1){1'b0}};
`endif
    wire [ACC_W-1:0] bias_g = in_valid ? bias_i : {ACC_W{1'b0}};

    // ------------------------------------------------------------------
    // Bias add (exact) and sign
    // ------------------------------------------------------------------
    wire [SUM_W-1:0] acc_d = {sum_g[ACC_W], sum_g} + {{2{bias_g[ACC_W-1]}}, bias_g};
    wire             acc_neg_d = acc_d[SUM_W-1];
    wire [HI_W-1:0]  acc_hi_d  = acc_d[SUM_W-2:CNT_W];  // acc >> CNT_W when acc >= 0

    // Overflow pre-check: floor(acc / theta) >= 2^CNT_W  <=>  acc >> CNT_W >= theta.
    wire sat_d = {{TH_W{1'b0}}, acc_hi_d} >= {{HI_W{1'b0}}, theta_i};

    // ------------------------------------------------------------------
    // Restoring divider: step s takes the partial remainder rem_in_d (< theta
    // when !sat_d; acc >> CNT_W for step 0), shifts in dividend bit
    // CNT_W-1-s, and produces quotient bit CNT_W-1-s and the next remainder.
    // Each step's remainder is its own net (no shared array), so simulators see
    // no false combinational loop.
    // ------------------------------------------------------------------
    wire [CNT_W-1:0] quo_d;  // floor(acc / theta), valid when !sat_d && !acc_neg_d
    wire [TH_W-1:0]  rem0_d; // acc >> CNT_W in TH_W bits (exact when !sat_d)

    generate
        if (HI_W >= TH_W) begin : g_rem0_trunc
            assign rem0_d = acc_hi_d[TH_W-1:0];  // exact: acc_hi_d < theta < 2^TH_W
        end else begin : g_rem0_ext
            assign rem0_d = {{(TH_W - HI_W){1'b0}}, acc_hi_d};
        end
    endgenerate

    genvar s;
    generate
        for (s = 0; s < CNT_W; s = s + 1) begin : g_div_step
            wire [TH_W-1:0] rem_in_d;  // partial remainder entering this step, < theta
            wire [TH_W:0]   shift_d;   // remainder with the next dividend bit, < 2*theta
            wire            ge_d;      // quotient bit: shift_d >= theta
            if (s == 0) begin : g_first
                assign rem_in_d = rem0_d;
            end else begin : g_next
                assign rem_in_d = g_div_step[s-1].g_rem.rem_out_d;
            end
            assign shift_d = {rem_in_d, acc_d[CNT_W-1-s]};
`ifdef FORMAL_MUTANT_SSF_DIV_STEP
            assign ge_d    = shift_d > {1'b0, theta_i};   // mutant: off-by-one compare
`else
            assign ge_d    = shift_d >= {1'b0, theta_i};
`endif
            assign quo_d[CNT_W-1-s] = ge_d;
            if (s < CNT_W - 1) begin : g_rem
                // difference < theta, so the low TH_W bits of the subtraction are exact
                wire [TH_W-1:0] rem_out_d = ge_d ? (shift_d[TH_W-1:0] - theta_i) : shift_d[TH_W-1:0];
            end
        end
    endgenerate

    // ------------------------------------------------------------------
    // Clamp to [0, T] and select the activation
    // ------------------------------------------------------------------
    wire [CNT_W-1:0] cnt_d  = sat_d ? {CNT_W{1'b1}} : quo_d;
    wire [CNT_W-1:0] fire_d = acc_neg_d ? {CNT_W{1'b0}} : ((cnt_d > t_i) ? t_i : cnt_d);
    wire [ACC_W-1:0] y_d    = ssf_i ? {{(ACC_W - CNT_W){1'b0}}, fire_d} : acc_d[ACC_W-1:0];

    // ------------------------------------------------------------------
    // Output register
    // ------------------------------------------------------------------
    reg             out_valid_q;
    reg [ACC_W-1:0] y_q;

    always @(posedge clk) begin
        if (!rst_n) begin
            out_valid_q <= 1'b0;
            y_q         <= {ACC_W{1'b0}};
        end else begin
            out_valid_q <= in_valid;
            if (in_valid) begin
                y_q <= y_d;
            end
        end
    end

    assign out_valid = out_valid_q;
    assign y_o       = y_q;

`ifdef FORMAL
    // ------------------------------------------------------------------
    // Formal properties (docs/formal.md, formal/ssf_fire.sby). No assumption
    // beyond the reset at step 0: every property states its own legal range.
    // ------------------------------------------------------------------
    reg f_past_q = 1'b0;
    always @(posedge clk) f_past_q <= 1'b1;
    always @(*) if (!f_past_q) assume (!rst_n);

    // last cycle's operands, the spec's sum + bias formed exactly
    reg signed [SUM_W-1:0] f_acc_q;
    reg        [TH_W-1:0]  f_theta_q;
    reg        [CNT_W-1:0] f_t_q;
    reg                    f_fire_q, f_pass_q, f_idle_q, f_rst_q;
    reg        [ACC_W-1:0] f_y_q;
    always @(posedge clk) begin
        f_acc_q   <= $signed(sum_i) + $signed(bias_i);
        f_theta_q <= theta_i;
        f_t_q     <= t_i;
        f_fire_q  <= rst_n && in_valid && ssf_i;
        f_pass_q  <= rst_n && in_valid && !ssf_i;
        f_idle_q  <= rst_n && !in_valid;
        f_rst_q   <= !rst_n;
        f_y_q     <= y_o;
    end

    localparam integer F_PW = SUM_W + 1;   // product width: y*theta and (y+1)*theta fit
    wire [CNT_W-1:0] f_y_d     = y_o[CNT_W-1:0];
    wire [F_PW-1:0]  f_lo_d    = {{(F_PW - CNT_W){1'b0}}, f_y_d} * {{(F_PW - TH_W){1'b0}}, f_theta_q};
    wire [F_PW-1:0]  f_hi_d    = f_lo_d + {{(F_PW - TH_W){1'b0}}, f_theta_q};
    wire [F_PW-1:0]  f_acc_u_d = {1'b0, f_acc_q};
    wire             f_legal_d = f_past_q && f_fire_q && !f_acc_q[SUM_W-1] && (f_theta_q != 0);

    always @(*) begin
        // operand isolation: without in_valid the adder and the divider see zeros
        if (!in_valid) ap_ssf_isolation: assert (sum_g == 0 && bias_g == 0 && acc_d == 0);
        if (f_past_q) begin
            if (f_rst_q) ap_ssf_reset: assert (!out_valid && y_o == 0);
            if (!f_rst_q) ap_ssf_valid: assert (out_valid == !f_idle_q);
            if (f_idle_q) ap_ssf_hold: assert (y_o == f_y_q);
            if (f_pass_q) ap_ssf_none: assert (y_o == f_acc_q[ACC_W-1:0]);
            if (f_fire_q) ap_ssf_clamp: assert (y_o[ACC_W-1:CNT_W] == 0 && f_y_d <= f_t_q);
            if (f_fire_q && f_acc_q[SUM_W-1]) ap_ssf_negative: assert (y_o == 0);
        end
        // y <= T (clamp) with y*theta <= acc and (y = T or acc < (y+1)*theta)
        // is exactly y = min(T, floor(acc / theta)) for acc >= 0, theta >= 1
        if (f_legal_d) ap_ssf_floor_lo: assert (f_lo_d <= f_acc_u_d);
        if (f_legal_d && f_y_d < f_t_q) ap_ssf_floor_hi: assert (f_acc_u_d < f_hi_d);
    end

    // The divider, step by step (at any widths, the build's included): the
    // overflow pre-check is floor(acc / theta) >= 2^CNT_W, the first partial
    // remainder is acc >> CNT_W exactly, and each restoring step maps a
    // remainder r < theta to shift = 2r + bit = rem_out + q*theta with
    // rem_out < theta: the long-division invariant that makes quo_d the floor.
    wire f_div_d = in_valid && !acc_neg_d && !sat_d;
    wire [SUM_W+TH_W-1:0] f_acc_w_d = {{TH_W{1'b0}}, acc_d};
    always @(*) begin
        if (in_valid && !acc_neg_d)
            ap_ssf_sat: assert (sat_d == (f_acc_w_d >= ({{SUM_W{1'b0}}, theta_i} << CNT_W)));
        if (f_div_d)
            ap_ssf_div_rem0: assert ({{SUM_W{1'b0}}, rem0_d} == (f_acc_w_d >> CNT_W) && rem0_d < theta_i);
    end
    // f_step_ok_d[s]: step s keeps the invariant (vacuous unless its remainder entering is < theta)
    wire [CNT_W-1:0] f_step_ok_d;
    wire [CNT_W-1:0] f_chain_ok_d;   // step s keeps D_s = M_s + r_s, r_s < theta if s-1 did (below)
    genvar f_s;
    generate
        for (f_s = 0; f_s < CNT_W; f_s = f_s + 1) begin : g_f_step
            wire [TH_W:0] f_shift_d = g_div_step[f_s].shift_d;
            wire [TH_W:0] f_th_d    = {1'b0, theta_i};
            wire          f_q_d     = quo_d[CNT_W-1-f_s];
            wire          f_pre_d   = g_div_step[f_s].rem_in_d < theta_i;
            wire          f_base_d  = f_shift_d == {g_div_step[f_s].rem_in_d, acc_d[CNT_W-1-f_s]}
                                   && f_q_d == (f_shift_d >= f_th_d) && f_shift_d < f_th_d + f_th_d;
            // the chain: with D_s = acc >> (CNT_W-1-s) the dividend bits so far,
            // M_s = 2*M_(s-1) + q_s*theta (M_-1 = 0: the shift-and-add product theta * the
            // quotient bits so far) and r_s this step's remainder, D_s = M_s + r_s and
            // r_s < theta, stated step by step (each step from the one before, step 0 from
            // rem0 = acc >> CNT_W).
            wire [SUM_W-1:0] f_dv_d = acc_d >> (CNT_W - 1 - f_s);
            wire [SUM_W-1:0] f_qt_d = f_q_d ? {{(SUM_W - TH_W){1'b0}}, theta_i} : {SUM_W{1'b0}};
            wire [SUM_W-1:0] f_m_d;
            wire [TH_W:0]    f_r_d  = f_shift_d - (f_q_d ? f_th_d : {(TH_W + 1){1'b0}});
            if (f_s == 0) begin : g_m0
                assign f_m_d = f_qt_d;
            end else begin : g_mn
                assign f_m_d = {g_f_step[f_s-1].f_m_d[SUM_W-2:0], 1'b0} + f_qt_d;
            end
            wire f_chain_d = f_dv_d == f_m_d + {{(SUM_W - TH_W - 1){1'b0}}, f_r_d} && f_r_d < f_th_d;
            if (f_s == 0) begin : g_c0
                assign f_chain_ok_d[f_s] = f_chain_d;
            end else begin : g_cn
                assign f_chain_ok_d[f_s] = !g_f_step[f_s-1].f_chain_d || f_chain_d;
            end
            if (f_s < CNT_W - 1) begin : g_mid
                wire [TH_W:0] f_rem_d = {1'b0, g_div_step[f_s].g_rem.rem_out_d};
                assign f_step_ok_d[f_s] = !f_pre_d || (f_base_d && f_rem_d < f_th_d
                                       && f_shift_d == f_rem_d + (f_q_d ? f_th_d : {(TH_W + 1){1'b0}}));
            end else begin : g_last
                assign f_step_ok_d[f_s] = !f_pre_d || f_base_d;
            end
        end
    endgenerate
    always @(*) if (f_div_d) ap_ssf_div_step: assert (&f_step_ok_d);

    // The whole divider: the chain above (step 0 holds, and each step holds if the one
    // before does, so every step holds) gives, after the last step, acc = M + r with
    // 0 <= r < theta, where M is theta * quo written as the shift-and-add (Horner) sum of
    // the quotient bits. Euclid's division acc = theta * quo + r, 0 <= r < theta, with
    // Yosys's multiplier, is exactly quo = floor(acc / theta). Both are proven at reduced
    // widths (formal/ssf_fire.sby, small); at the build's widths yices does not finish them
    // (docs/formal.md).
    wire [TH_W:0]    f_r_last_d = g_f_step[CNT_W-1].f_r_d;
    wire [SUM_W-1:0] f_prod_d   = {{(SUM_W - TH_W){1'b0}}, theta_i} * {{(SUM_W - CNT_W){1'b0}}, quo_d};
    always @(*) if (f_div_d) begin
        ap_ssf_div_chain: assert (&f_chain_ok_d);
        ap_ssf_div_euclid: assert (acc_d == f_prod_d + {{(SUM_W - TH_W - 1){1'b0}}, f_r_last_d}
                                   && f_r_last_d < {1'b0, theta_i});
    end

    // one cover per property: its hypothesis is reachable, non-trivially
    always @(*) begin
        cv_ssf_isolation: cover (!in_valid && sum_i != 0 && bias_i != 0);
        cv_ssf_sat: cover (in_valid && !acc_neg_d && sat_d && theta_i != 0);
        cv_ssf_div_rem0: cover (f_div_d && rem0_d != 0);
        cv_ssf_div_step: cover (f_div_d && quo_d != 0 && !quo_d[CNT_W-1]);
        cv_ssf_div_chain: cover (f_div_d && quo_d[CNT_W-1] && quo_d[0] && g_f_step[CNT_W-1].f_r_d != 0);
        cv_ssf_div_euclid: cover (f_div_d && quo_d[CNT_W-1] && theta_i[TH_W-1] && f_r_last_d != 0);
        if (f_past_q) begin
            cv_ssf_reset: cover (f_rst_q);
            cv_ssf_valid: cover (!f_rst_q && out_valid);
            cv_ssf_hold: cover (f_idle_q && y_o != 0);
            cv_ssf_none: cover (f_pass_q && f_acc_q[SUM_W-1]);
            cv_ssf_clamp: cover (f_fire_q && f_y_d == f_t_q && f_t_q != 0 && f_acc_u_d >= f_hi_d);
            cv_ssf_negative: cover (f_fire_q && f_acc_q[SUM_W-1] && f_t_q != 0);
            cv_ssf_floor_lo: cover (f_legal_d && f_y_d != 0 && f_lo_d != f_acc_u_d);
            cv_ssf_floor_hi: cover (f_legal_d && f_y_d != 0 && f_y_d < f_t_q);
        end
    end
`endif

endmodule

`default_nettype wire
