// argmax_order.sv: formal harness (formal/argmax.sby, task order): the running
// argmax fed as sparrow_top feeds it, with the key {y, ~index} (sparrow_top.v,
// u_argmax), returns the lowest-index maximum of the values written since the
// clear, whatever the write order. Environment: each index is written at most
// once between clears (ctrl writes every logit index once per inference).
`default_nettype none

module argmax_order #(
    parameter integer ACC_W = 32   // logit width, as in sparrow_top
) (
    input  wire                    clk,
    input  wire                    rst_n,
    input  wire                    clr,       // res_clr: a new inference
    input  wire                    we,        // out_logit: a logit is written
    input  wire signed [ACC_W-1:0] y,         // its value
    input  wire        [3:0]       idx        // its index
);
    wire [3:0]       best_idx;
    wire [ACC_W+3:0] best_key;
    wire             seen;

    argmax #(.ACC_W(ACC_W + 4), .IDX_W(4)) u_argmax (
        .clk(clk), .rst_n(rst_n), .clr(clr), .in_valid(we),
        .value_i({y, ~idx}), .idx_i(idx),
        .best_idx_o(best_idx), .best_val_o(best_key), .seen_o(seen)
    );

    reg f_past_q = 1'b0;
    always @(posedge clk) f_past_q <= 1'b1;
    always @(*) if (!f_past_q) assume (!rst_n);

    // which indices were written since the clear, and the value of one arbitrary index j
    (* anyconst *) wire [3:0] f_j;
    reg [15:0]              f_written_q;
    reg signed [ACC_W-1:0]  f_val_j_q;
    always @(posedge clk) begin
        if (!rst_n || clr) begin
            f_written_q <= 16'd0;
        end else if (we) begin
            f_written_q[idx] <= 1'b1;
            if (idx == f_j) f_val_j_q <= y;
        end
    end
    always @(*) if (rst_n && !clr && we) assume (!f_written_q[idx]);

    wire signed [ACC_W-1:0] best_y = best_key[ACC_W+3:4];

    always @(*) if (f_past_q) begin
        // seen exactly when something was written; the key carries the index
        ap_amo_seen: assert (seen == (f_written_q != 16'd0));
        if (seen) ap_amo_key: assert (best_key[3:0] == ~best_idx);
        // the result is a written value ...
        if (seen && best_idx == f_j) ap_amo_witness: assert (f_written_q[f_j] && best_y == f_val_j_q);
        // ... that no written value beats, and a tie goes to the lower index
        if (seen && f_written_q[f_j])
            ap_amo_lowest_max: assert (best_y > f_val_j_q || (best_y == f_val_j_q && best_idx <= f_j));
    end
    always @(*) if (f_past_q) begin
        cv_amo_seen: cover (seen && f_written_q[15] && f_written_q[0]);
        cv_amo_key: cover (seen && best_idx == 4'd9);
        cv_amo_witness: cover (seen && best_idx == f_j && f_j == 4'd3 && f_written_q[2] && f_written_q[5]);
        // a tie written high index first: the lower index still wins
        cv_amo_lowest_max: cover (seen && f_written_q[f_j] && best_y == f_val_j_q && best_idx < f_j
                                  && f_j == 4'd7 && f_written_q == 16'h00A0);
    end
endmodule

`default_nettype wire
