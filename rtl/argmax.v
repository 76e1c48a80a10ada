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

    wire take_d = in_valid && (!seen_q || (value_i > best_val_q));

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

endmodule

`default_nettype wire
