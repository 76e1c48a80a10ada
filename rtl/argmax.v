// argmax.v: running argmax over a stream of signed values; the first value
// after clr (or reset) is taken, later ones only if strictly greater, so with
// ascending indices a tie keeps the lowest index.
`default_nettype none

module argmax #(
    parameter integer ACC_W = 32,  // value width (signed), >= 1
    parameter integer IDX_W = 4    // index width, >= 1
) (
    input  wire                    clk,         // clock, rising edge
    input  wire                    rst_n,       // synchronous reset, active low: same effect as clr
    input  wire                    clr,         // forget the running best (priority over in_valid)
    input  wire                    in_valid,    // value_i/idx_i are valid this cycle
    input  wire signed [ACC_W-1:0] value_i,     // candidate value
    input  wire        [IDX_W-1:0] idx_i,       // candidate index
    output wire        [IDX_W-1:0] best_idx_o,  // index of the best value so far (0 when !seen_o)
    output wire signed [ACC_W-1:0] best_val_o,  // best value so far (0 when !seen_o)
    output wire                    seen_o       // at least one value arrived since clr/reset
);

    // Parameter checks: an illegal value instantiates a module that does not exist,
    // so every tool stops at elaboration with the rule in the missing module's name.
    generate
        if (ACC_W < 1) begin : g_bad_acc_w
            argmax_parameter_error_ACC_W_must_be_at_least_1 u_param_error ();
        end
        if (IDX_W < 1) begin : g_bad_idx_w
            argmax_parameter_error_IDX_W_must_be_at_least_1 u_param_error ();
        end
    endgenerate

    reg        [IDX_W-1:0] best_idx_q;
    reg signed [ACC_W-1:0] best_val_q;
    reg                    seen_q;

`ifdef FORMAL_MUTANT_ARGMAX_TIE
    wire take_d = in_valid && (!seen_q || (value_i >= best_val_q));  // mutant: a tie replaces
`elsif FORMAL_MUTANT_ARGMAX_FIRST
    wire take_d = in_valid && (value_i > best_val_q);  // mutant: the first value is not taken as such
`else
    wire take_d = in_valid && (!seen_q || (value_i > best_val_q));
`endif

    always @(posedge clk) begin
        if (!rst_n || clr) begin
            best_idx_q <= {IDX_W{1'b0}};
            best_val_q <= {ACC_W{1'b0}};
            seen_q     <= 1'b0;
        end else if (take_d) begin
            best_idx_q <= idx_i;
            best_val_q <= value_i;
            seen_q     <= 1'b1;
        end
    end

    assign best_idx_o = best_idx_q;
    assign best_val_o = best_val_q;
    assign seen_o     = seen_q;

`ifdef FORMAL
    // ------------------------------------------------------------------
    // Formal properties (docs/formal.md, formal/argmax.sby): the first value
    // after clr/reset is taken, a later one only if strictly greater.
    // ------------------------------------------------------------------
    reg f_past_q = 1'b0;
    always @(posedge clk) f_past_q <= 1'b1;
    always @(*) if (!f_past_q) assume (!rst_n);

    reg                    f_clr_q, f_valid_q, f_seen_q;
    reg signed [ACC_W-1:0] f_val_q, f_best_q;
    reg        [IDX_W-1:0] f_idx_q, f_bidx_q;
    always @(posedge clk) begin
        f_clr_q   <= !rst_n || clr;
        f_valid_q <= in_valid;
        f_val_q   <= value_i;
        f_idx_q   <= idx_i;
        f_seen_q  <= seen_o;
        f_best_q  <= best_val_o;
        f_bidx_q  <= best_idx_o;
    end
    wire f_take_d = !f_clr_q && f_valid_q && (!f_seen_q || (f_val_q > f_best_q));

    always @(*) begin
        if (f_past_q) begin
            if (!seen_o) ap_am_empty: assert (best_idx_o == 0 && best_val_o == 0);
            if (f_clr_q) ap_am_clear: assert (!seen_o);
            if (f_take_d) ap_am_take: assert (seen_o && best_val_o == f_val_q && best_idx_o == f_idx_q);
            if (!f_clr_q && !f_take_d)
                ap_am_keep: assert (seen_o == f_seen_q && best_val_o == f_best_q && best_idx_o == f_bidx_q);
            if (!f_clr_q && f_seen_q) ap_am_monotone: assert (seen_o && best_val_o >= f_best_q);
        end
    end
    always @(*) begin
        cv_am_empty: cover (f_past_q && !seen_o && in_valid);
        if (f_past_q) begin
            cv_am_clear: cover (f_clr_q && f_seen_q);
            cv_am_take: cover (f_take_d && f_seen_q);
            cv_am_keep: cover (!f_clr_q && f_valid_q && f_seen_q && f_val_q == f_best_q);
            cv_am_monotone: cover (!f_clr_q && f_seen_q && best_val_o > f_best_q);
        end
    end
`endif
endmodule

`default_nettype wire
