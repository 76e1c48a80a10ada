// top_nox_step.sv: the induction step of the no-X proof (formal/sparrow_top.sby, tasks
// nox_step*; docs/formal.md). The .sby script builds nox_step_miter from sparrow_top:
//   flatten; memory_map; dffunmap; expose -evert-dff (every flip-flop but ctrl's p2_v_q
//   and p2_x_q)       each register becomes an input (its value now) and an output (its
//                     next value, <reg>.d)
//   copy; miter -equiv -make_outcmp ...
// so the two copies of the design SHARE every register value and every input: only the SRAM
// read registers' junk (formal/sram_sp_fn.v: a free value in each copy until the first read
// after reset) and ctrl's p2_x_q (kept a flip-flop of its own in each copy, its value at step
// 0 free in each copy) can differ. Assumed at step 0: the single-copy invariant
// ap_top_nox_sram (proven unbounded on one copy by the task nox_inv: wherever the design uses
// an SRAM's read data, that SRAM was read after the reset cycle) and p2_x_q equal where it is
// used (p2_v_q high). Asserted: at step 0 every output and every next register value agrees
// (ap_nox_step), and at step 1 p2_v_q and p2_x_q-where-used agree (ap_nox_step_p2).
// Together with step 1 of the bounded task nox (one reset cycle makes every register agree)
// this is the induction: equal registers after reset stay equal forever, so no output
// depends on a power-up value. Each step is one SAT problem on a miter whose shared logic
// yosys merges: it does not grow with time.
`default_nettype none
`include "nox_common.vh"

module top_nox_step (
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
    wire cmp_p2_v, cmp_p2_x;
    // the registers the invariant reads: shared register values of the two copies
    (* anyseq *) wire [3:0]  f_state_d;
    (* anyseq *) wire [4:0]  f_started_d;
    (* anyseq *) wire        f_bias_read_d, f_theta_read_d, f_stream_d, f_p1_v_d, f_mem_rd_d;
    (* anyseq *) wire        f_w_read_d;
    (* anyseq *) wire [2:0]  f_layer_d;
    (* anyseq *) wire [1:0]  f_act_read_d;
    wire        f_p2_v_d;

    nox_step_miter u_miter (
        .in_clk(clk), .in_rst_n(rst_n), .in_psel(psel), .in_penable(penable),
        .in_pwrite(pwrite), .in_paddr(paddr), .in_pwdata(pwdata), .in_in_valid(in_valid),
        .in_in_data(in_data), .trigger(trigger),
        .\cmp_u_mac.en (cmp_p2_v), .\cmp_u_ctrl.f_nox_p2_x (cmp_p2_x),
        .\gold_u_mac.en (f_p2_v_d),
        .\in_u_ctrl.state_q.q (f_state_d),
        .\in_u_wmem.u_mem.f_started_q.q (f_started_d[0]),
        .\in_u_bmem.u_mem.f_started_q.q (f_started_d[1]),
        .\in_u_tmem.u_mem.f_started_q.q (f_started_d[2]),
        .\in_g_act[0].u_act.u_mem.f_started_q.q (f_started_d[3]),
        .\in_g_act[1].u_act.u_mem.f_started_q.q (f_started_d[4]),
        .\in_u_bmem.u_mem.f_read_q.q (f_bias_read_d),
        .\in_u_tmem.u_mem.f_read_q.q (f_theta_read_d),
        .\in_in_ready.q (f_stream_d),
        .\in_out_layer_d.q (f_layer_d),
        .\in_u_ctrl.p1_v_q.q (f_p1_v_d),
        .\in_u_apb_regs.mem_rd_q.q (f_mem_rd_d),
        .\in_g_act[0].u_act.u_mem.f_read_q.q (f_act_read_d[0]),
        .\in_g_act[1].u_act.u_mem.f_read_q.q (f_act_read_d[1]),
        .\in_u_wmem.u_mem.f_read_q.q (f_w_read_d));

    reg f_step_q = 1'b0;                  // 0: the step's first cycle, 1: the next one
    always @(posedge clk) f_step_q <= 1'b1;

    // environment: an APB3 master (formal/nox_common.vh), from the first cycle on; its
    // registers are free at step 0
    `NOX_APB_MASTER(1'b1)

    always @(*) if (!f_step_q) begin
        // the invariant of nox_inv (= ap_top_nox_sram of top_nox.sv), in the shared state
`ifndef FORMAL_MUTANT_NOX_STEP_NOINV
        assume (`NOX_SRAM_READ_BEFORE_USE);
`endif
        assume (cmp_p2_v && cmp_p2_x);
        ap_nox_step: assert (!trigger);
    end
    always @(*) if (f_step_q) ap_nox_step_p2: assert (cmp_p2_v && cmp_p2_x);
    // covers: a step with the weights in use and every register agreeing, and one whose next
    // cycle uses the weights
    always @(*) if (!f_step_q) cv_nox_step: cover (f_p2_v_d && !trigger);
    always @(*) if (f_step_q) cv_nox_step_p2: cover (f_p2_v_d && cmp_p2_x);
endmodule

`default_nettype wire
