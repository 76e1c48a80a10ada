// nox_common.vh: what the three no-X harnesses share (formal/top_nox.sv, the base case;
// formal/top_nox_inv.sv, the invariant on one copy; formal/top_nox_step.sv, the induction
// step; docs/formal.md). One definition, so that the step assumes exactly what the invariant
// job proves. The including module has clk, rst_n and the APB inputs, and declares the f_*
// signals the invariant reads.
`ifndef NOX_COMMON_VH
`define NOX_COMMON_VH

// The environment: an APB3 master (as assumed by apb_regs.v): no transfer during reset, an
// access cycle repeats its setup cycle's address, direction and data, a setup is followed by
// its access. ``active`` gates the last two (1'b1: from the first cycle on).
`define NOX_APB_MASTER(active) \
    reg        f_setup_q, f_pwrite_q; \
    reg [15:0] f_addr_q; \
    reg [31:0] f_wdata_q; \
    always @(posedge clk) begin \
        f_setup_q  <= psel && !penable; \
        f_pwrite_q <= pwrite; \
        f_addr_q   <= paddr; \
        f_wdata_q  <= pwdata; \
    end \
    always @(*) if (!rst_n) assume (!psel); \
    always @(*) if (active) begin \
        if (psel && penable) assume (f_setup_q && paddr == f_addr_q && pwrite == f_pwrite_q \
                                     && pwdata == f_wdata_q); \
        if (f_setup_q) assume (psel && penable); \
    end

// The invariant: wherever the design uses an SRAM's read data, that SRAM was read after the
// reset cycle. Activation and weight words are used the cycle after their read (p1_v, p2_v:
// ctrl.v), a host read in the access cycle after its setup (mem_rd_q: apb_regs.v), bias and
// theta words from TAP to FIRE after their read in INIT; the input stream writes activation
// buffer 0 only in LOAD.
`define NOX_SRAM_READ_BEFORE_USE (&f_started_d \
    && (!(f_state_d >= 4'd5 && f_state_d <= 4'd8) || (f_bias_read_d && f_theta_read_d)) \
    && (!f_stream_d || f_state_d == 4'd2) \
    && (!f_p1_v_d || f_act_read_d[f_layer_d[0]]) \
    && (!f_p2_v_d || f_w_read_d) \
    && (!f_mem_rd_d || (f_addr_q[15:12] == 4'h1 ? f_bias_read_d \
                       : f_addr_q[15:12] == 4'h2 ? f_theta_read_d : f_w_read_d)))

`endif
