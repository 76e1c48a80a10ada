// top_nox.sv: formal harness of the no-X proof (formal/sparrow_top.sby, tasks nox*). It
// wraps nox_miter, which the .sby script builds with Yosys from sparrow_top:
//   flatten; memory_map; expose -dff          every register of the design becomes an output
//   copy sparrow_top sparrow_top_b; miter -equiv -make_outcmp ... nox_miter
// so nox_miter holds two copies of sparrow_top with the same inputs, the same memory words
// (formal/sram_sp_fn.v) and every register free at step 0 (any power-up value, different
// in the two copies); `trigger` is high when any output or any register differs and
// cmp_<port> is high when that output port agrees. After the reset cycle:
// * ap_top_no_x: every output port of the two copies agrees, so no output depends on a
//   power-up value (an X) of a register or of an SRAM read register;
// * ap_top_nox_state: every register agrees as well. This is what makes the proof
//   unbounded: equal registers and equal inputs give equal next registers, so k-induction
//   closes, and only the SRAM read registers (free until read, not compared) could break it.
// Environment: an APB3 master (as apb_regs.v assumes); reset at step 0, free afterwards.
`default_nettype none
`include "nox_common.vh"

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
    wire trigger;
    wire cmp_prdata, cmp_pready, cmp_pslverr, cmp_in_ready, cmp_trace_valid, cmp_trace_layer;
    wire cmp_trace_index, cmp_trace_value, cmp_irq;
    wire [31:0] prdata_a;
    wire [3:0]  f_state_d;
    wire [4:0]  f_started_d;
    wire        f_bias_read_d, f_theta_read_d, f_stream_d, f_p1_v_d, f_p2_v_d, f_mem_rd_d, f_w_read_d;
    wire [2:0]  f_layer_d;
    wire [1:0]  f_act_read_d;

    nox_miter u_miter (
        .in_clk(clk), .in_rst_n(rst_n), .in_psel(psel), .in_penable(penable), .in_pwrite(pwrite),
        .in_paddr(paddr), .in_pwdata(pwdata), .in_in_valid(in_valid), .in_in_data(in_data),
        .trigger(trigger), .gold_prdata(prdata_a),
        .cmp_prdata(cmp_prdata), .cmp_pready(cmp_pready), .cmp_pslverr(cmp_pslverr),
        .cmp_in_ready(cmp_in_ready), .cmp_trace_valid(cmp_trace_valid),
        .cmp_trace_layer(cmp_trace_layer), .cmp_trace_index(cmp_trace_index),
        .cmp_trace_value(cmp_trace_value), .cmp_irq(cmp_irq),
        // exposed registers of copy a (escaped names: the flattened hierarchy)
        .\gold_u_ctrl.state_q (f_state_d),
        .\gold_u_wmem.u_mem.f_started_q (f_started_d[0]),
        .\gold_u_bmem.u_mem.f_started_q (f_started_d[1]),
        .\gold_u_tmem.u_mem.f_started_q (f_started_d[2]),
        .\gold_g_act[0].u_act.u_mem.f_started_q (f_started_d[3]),
        .\gold_g_act[1].u_act.u_mem.f_started_q (f_started_d[4]),
        .\gold_u_bmem.u_mem.f_read_q (f_bias_read_d),
        .\gold_u_tmem.u_mem.f_read_q (f_theta_read_d),
        .\gold_u_stream_in.active_q (f_stream_d),
        .\gold_u_ctrl.layer_q (f_layer_d),
        .\gold_u_ctrl.p1_v_q (f_p1_v_d),
        .\gold_u_ctrl.p2_v_q (f_p2_v_d),
        .\gold_u_apb_regs.mem_rd_q (f_mem_rd_d),
        .\gold_g_act[0].u_act.u_mem.f_read_q (f_act_read_d[0]),
        .\gold_g_act[1].u_act.u_mem.f_read_q (f_act_read_d[1]),
        .\gold_u_wmem.u_mem.f_read_q (f_w_read_d));

    reg f_past_q = 1'b0;
    always @(posedge clk) f_past_q <= 1'b1;
    always @(*) if (!f_past_q) assume (!rst_n);

    // environment: an APB3 master (formal/nox_common.vh)
    `NOX_APB_MASTER(f_past_q)

    wire f_outs_eq_d = cmp_prdata && cmp_pready && cmp_pslverr && cmp_in_ready && cmp_trace_valid
                    && cmp_trace_layer && cmp_trace_index && cmp_trace_value && cmp_irq;
    always @(*) if (f_past_q) begin
        ap_top_no_x: assert (f_outs_eq_d);
        ap_top_nox_state: assert (!trigger);
        // the invariant of the induction (formal/nox_common.vh): wherever the design uses an
        // SRAM's read data, that SRAM was read after the reset cycle
        ap_top_nox_sram: assert (`NOX_SRAM_READ_BEFORE_USE);
        // a weight word read back through the APB window (an SRAM read register in use)
        cv_top_no_x: cover (prdata_a != 0 && psel && penable && !pwrite && paddr[15:12] == 4'h4);
        // the same for a bias word: a second memory's read register in use, all registers equal
        cv_top_nox_sram: cover (f_mem_rd_d && f_addr_q[15:12] == 4'h1 && f_bias_read_d);   // a host bias read
        cv_top_nox_state: cover (!trigger && prdata_a != 0 && psel && penable && !pwrite
                                 && paddr[15:12] == 4'h1);
    end
endmodule

`default_nettype wire
