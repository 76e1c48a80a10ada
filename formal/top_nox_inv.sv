// top_nox_inv.sv: the invariant that the no-X induction step (top_nox_step.sv) assumes,
// proven unbounded (k-induction) on ONE copy of sparrow_top (formal/sparrow_top.sby, task
// nox_inv; docs/formal.md): wherever the design uses an SRAM's read data, that SRAM was read
// after the reset cycle. The .sby script exposes the registers it reads
// (flatten; memory_map; expose -dff) and reads the SRAM stand-in formal/sram_sp_fn.v, whose
// f_started_q / f_read_q say whether a read happened after the reset cycle.
// Uses: activation and weight words the cycle after their read (p1_v, p2_v: ctrl.v), a host
// read in the access cycle after its setup (mem_rd_q: apb_regs.v), bias and theta words from
// TAP to FIRE after their read in INIT; the input stream writes activation buffer 0 only in
// LOAD. The same expression is ap_top_nox_sram of top_nox.sv (bounded there, on the miter).
`default_nettype none
`include "nox_common.vh"

module top_nox_inv (
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
    wire [3:0]  f_state_d;
    wire [4:0]  f_started_d;
    wire        f_bias_read_d, f_theta_read_d, f_stream_d, f_p1_v_d, f_p2_v_d, f_mem_rd_d, f_w_read_d;
    wire [2:0]  f_layer_d;
    wire [1:0]  f_act_read_d;
    wire [31:0] prdata;
    wire        pready, pslverr, in_ready, trace_valid, irq;
    wire [2:0]  trace_layer;
    wire [11:0] trace_index;
    wire [31:0] trace_value;

    sparrow_top u_dut (
        .clk(clk), .rst_n(rst_n), .psel(psel), .penable(penable), .pwrite(pwrite),
        .paddr(paddr), .pwdata(pwdata), .prdata(prdata), .pready(pready), .pslverr(pslverr),
        .in_valid(in_valid), .in_data(in_data), .in_ready(in_ready),
        .trace_valid(trace_valid), .trace_layer(trace_layer), .trace_index(trace_index),
        .trace_value(trace_value), .irq(irq),
        .\u_ctrl.state_q (f_state_d),
        .\u_wmem.u_mem.f_started_q (f_started_d[0]),
        .\u_bmem.u_mem.f_started_q (f_started_d[1]),
        .\u_tmem.u_mem.f_started_q (f_started_d[2]),
        .\g_act[0].u_act.u_mem.f_started_q (f_started_d[3]),
        .\g_act[1].u_act.u_mem.f_started_q (f_started_d[4]),
        .\u_bmem.u_mem.f_read_q (f_bias_read_d),
        .\u_tmem.u_mem.f_read_q (f_theta_read_d),
        .\u_stream_in.active_q (f_stream_d),
        .\u_ctrl.layer_q (f_layer_d),
        .\u_ctrl.p1_v_q (f_p1_v_d),
        .\u_ctrl.p2_v_q (f_p2_v_d),
        .\u_apb_regs.mem_rd_q (f_mem_rd_d),
        .\g_act[0].u_act.u_mem.f_read_q (f_act_read_d[0]),
        .\g_act[1].u_act.u_mem.f_read_q (f_act_read_d[1]),
        .\u_wmem.u_mem.f_read_q (f_w_read_d));

    reg f_past_q = 1'b0;
    always @(posedge clk) f_past_q <= 1'b1;
    always @(*) if (!f_past_q) assume (!rst_n);

    // environment: an APB3 master (formal/nox_common.vh)
    `NOX_APB_MASTER(f_past_q)

    always @(*) if (f_past_q) begin
        ap_nox_inv: assert (`NOX_SRAM_READ_BEFORE_USE);
        // reachable with a use active: a host read of the weight window in its access cycle
        cv_nox_inv: cover (f_mem_rd_d && f_w_read_d && psel && penable);
    end
endmodule

`default_nettype wire
