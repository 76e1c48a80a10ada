// top_nox.sv: formal miter (formal/sparrow_top.sby, task nox): two copies of sparrow_top
// with the same inputs and the same memory contents (formal/sram_sp_fn.v) but every
// register free at step 0. After the reset cycle their outputs must be equal at every
// step: no output depends on a value reset left unknown (X). Bounded (BMC) depth.
`default_nettype none

module top_nox (
    input wire        clk,
    input wire        rst_n,
    input wire        psel,
    input wire        penable,
    input wire        pwrite,
    input wire [15:0] paddr,
    input wire [31:0] pwdata,
    input wire        in_valid,
    input wire [7:0]  in_data
);
    wire [31:0] prdata_a, prdata_b;
    wire        pready_a, pready_b, pslverr_a, pslverr_b, in_ready_a, in_ready_b;
    wire        tv_a, tv_b, irq_a, irq_b;
    wire [2:0]  tl_a, tl_b;
    wire [11:0] ti_a, ti_b;
    wire [31:0] tval_a, tval_b;

    sparrow_top u_a (
        .clk(clk), .rst_n(rst_n), .psel(psel), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .pwdata(pwdata), .prdata(prdata_a), .pready(pready_a), .pslverr(pslverr_a),
        .in_valid(in_valid), .in_ready(in_ready_a), .in_data(in_data), .trace_valid(tv_a),
        .trace_layer(tl_a), .trace_index(ti_a), .trace_value(tval_a), .irq(irq_a));
    sparrow_top u_b (
        .clk(clk), .rst_n(rst_n), .psel(psel), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .pwdata(pwdata), .prdata(prdata_b), .pready(pready_b), .pslverr(pslverr_b),
        .in_valid(in_valid), .in_ready(in_ready_b), .in_data(in_data), .trace_valid(tv_b),
        .trace_layer(tl_b), .trace_index(ti_b), .trace_value(tval_b), .irq(irq_b));

    reg f_past_q = 1'b0;
    always @(posedge clk) f_past_q <= 1'b1;
    always @(*) if (!f_past_q) assume (!rst_n);

    always @(*) if (f_past_q) begin
        ap_top_no_x: assert (prdata_a == prdata_b && pready_a == pready_b && pslverr_a == pslverr_b
                             && in_ready_a == in_ready_b && tv_a == tv_b && tl_a == tl_b && ti_a == ti_b
                             && tval_a == tval_b && irq_a == irq_b);
        cv_top_no_x: cover (tv_a && tval_a != 0);
    end
endmodule

`default_nettype wire
