// top_nox.sv: formal miter (formal/sparrow_top.sby, task nox): two copies of sparrow_top
// with the same inputs and the same memory contents (formal/sram_sp_fn.v) but every
// register free at step 0. After the reset cycle their outputs must be equal at every
// step: no output depends on a value reset left unknown (X). Bounded (BMC) depth.
// Environment: an APB3 master (below); inputs otherwise free, reset may come again.
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

    // environment: an APB3 master (as assumed by apb_regs.v): no transfer during reset, an
    // access cycle repeats its setup cycle's address, direction and data, a setup is followed
    // by its access. (A master that changes the address between setup and access reads a
    // memory word that was never fetched: prdata is then unknown by design.)
    reg        f_setup_q, f_pwrite_q;
    reg [15:0] f_addr_q;
    reg [31:0] f_wdata_q;
    always @(posedge clk) begin
        f_setup_q  <= psel && !penable;
        f_pwrite_q <= pwrite;
        f_addr_q   <= paddr;
        f_wdata_q  <= pwdata;
    end
    always @(*) if (!rst_n) assume (!psel);
    always @(*) if (f_past_q) begin
        if (psel && penable) assume (f_setup_q && paddr == f_addr_q && pwrite == f_pwrite_q
                                     && pwdata == f_wdata_q);
        if (f_setup_q) assume (psel && penable);
    end

    always @(*) if (f_past_q) begin
        ap_top_no_x: assert (prdata_a == prdata_b && pready_a == pready_b && pslverr_a == pslverr_b
                             && in_ready_a == in_ready_b && tv_a == tv_b && tl_a == tl_b && ti_a == ti_b
                             && tval_a == tval_b && irq_a == irq_b);
        cv_top_no_x: cover (prdata_a != 0 && !pwrite && paddr[15:12] == 4'h4);   // a weight word read back
    end
endmodule

`default_nettype wire
