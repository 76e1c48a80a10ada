// top_harness.v: fast regression harness around sparrow_top (testbench only, not RTL).
//
// The harness does, in HDL, everything that would otherwise wake Python every clock cycle, so
// that the cocotb side (tb/top/harness.py) wakes up once per command:
//
// * an APB3 master that replays a "program" of transfers read from harness_prog.hex
//   (front-door load of a bundle: golden.hwimage.apb_writes(), register read-back, fault
//   injection writes); read data and error responses are logged to harness_reads.txt;
// * a RUN sequencer that, for each of h_count inferences, writes CTRL.start over APB, streams
//   h_nbytes input bytes from harness_in.hex with seeded random valid gaps (32-bit LFSR; valid
//   is held until the byte is taken), waits for irq (done) or a timeout, then reads STATUS,
//   CLASS, LOGIT[0..15] and the five counters over APB and logs them to harness_results.txt;
// * a trace recorder that writes every trace-port event, with its absolute cycle, to
//   harness_trace.txt.
//
// Files are relative to the simulator's working directory (one per run) and are rewritten by
// every command (the host reads them after the command). Commands use a toggle
// handshake: the host changes h_go, the harness executes h_cmd and sets h_ack = h_go when the
// command has finished and the files are flushed. When h_busy is low the external APB and
// stream ports drive the core (cocotb drivers from tb/apb.py and tb/stream.py); with
// h_ext_stream the RUN sequencer leaves the input stream to those ports and only counts bytes.
//
// Fault hook: h_stuck_en forces the observed trace_valid to 1 from compute cycle h_stuck_from
// of every inference (a stuck-at-1 valid at the core's trace port).
//
// The clock is generated here (period CLK_PERIOD time units, 10 ns with the runner's 1ns/1ps
// timescale), not by cocotb, so the simulator never calls into Python per clock edge
// (Verilator builds with --timing). Cycle numbering: cyc_q counts rising edges; inside an
// always @(posedge clk) block cyc_q is the number of the cycle that this edge ends (the cycle
// whose signal values are sampled).
`default_nettype none

module top_harness #(
    parameter integer PROG_DEPTH = 16384,  // APB program entries per PROG command
    parameter integer IN_DEPTH   = 65536,  // input bytes per RUN command (power of two)
    parameter integer CLK_PERIOD = 10      // clock period in time units (even)
) (
    input  wire               rst_n,         // core reset (synchronous, active low)
    input  wire               h_rst_n,       // harness reset (synchronous, active low)
    // external APB master (used while h_busy is low)
    input  wire               psel,          // APB select
    input  wire               penable,       // APB access phase
    input  wire               pwrite,        // APB write
    input  wire [15:0]        paddr,         // APB address
    input  wire [31:0]        pwdata,        // APB write data
    output wire [31:0]        prdata,        // APB read data (core)
    output wire               pready,        // APB ready (core)
    output wire               pslverr,       // APB error (core)
    // external input stream (used while h_busy is low, or during RUN with h_ext_stream)
    input  wire               in_valid,      // byte offered
    input  wire [7:0]         in_data,       // byte
    output wire               in_ready,      // core takes the byte
    // observation of the core (trace_valid includes the stuck-valid fault)
    output wire               trace_valid,   // trace event
    output wire [2:0]         trace_layer,   // its layer
    output wire [11:0]        trace_index,   // its index
    output wire signed [31:0] trace_value,   // its value
    output wire               irq,           // core interrupt
    // commands
    input  wire               h_go,          // toggle: execute h_cmd
    input  wire [1:0]         h_cmd,         // 1: PROG, 2: RUN
    input  wire [31:0]        h_count,       // PROG: transfers; RUN: inferences
    input  wire [12:0]        h_nbytes,      // RUN: bytes per inference (1..4096)
    input  wire [31:0]        h_timeout,     // RUN: cycles allowed for the load and for compute
    input  wire [1:0]         h_vmode,       // RUN: 0 full, 1 random, 2 bursty 1110, 3 long stalls
    input  wire [7:0]         h_vprob,       // RUN random: P(valid) = h_vprob / 256
    input  wire [31:0]        h_seed,        // RUN: LFSR seed (0 is replaced by 1)
    input  wire               h_ext_stream,  // RUN: the stream comes from in_valid/in_data
    input  wire               h_stuck_en,    // fault: trace_valid stuck at 1 ...
    input  wire [31:0]        h_stuck_from,  // ... from this compute cycle of each inference
    output reg                h_ack,         // = h_go when the command has finished
    output reg                h_busy,        // a command is executing
    output reg  [63:0]        h_cycle        // absolute cycle counter (same as cyc_q)
);

    generate
        if (IN_DEPTH < 4096 || (IN_DEPTH & (IN_DEPTH - 1)) != 0) begin : g_bad_depth
            top_harness_parameter_error_IN_DEPTH_power_of_two_at_least_4096 u_param_error ();
        end
    endgenerate

    reg clk;                               // the clock (generated here)
    initial clk = 1'b0;
    always #(CLK_PERIOD / 2) clk = ~clk;

    localparam integer IAW = $clog2(IN_DEPTH);
    localparam [1:0] CMD_PROG = 2'd1, CMD_RUN = 2'd2;
`include "sparrow_regs.vh"
    localparam [15:0] A_CTRL = ADDR_CTRL, A_STATUS = ADDR_STATUS, A_CLASS = ADDR_CLASS,
                      A_IRQ_EN = ADDR_IRQ_EN, A_CNT = ADDR_CNT_CYCLES, A_LOGIT = ADDR_LOGIT;
    localparam integer N_READS = 23;       // STATUS, CLASS, LOGIT[0..15], 5 counters
    localparam [4:0] LAST_READ = 5'd22;

    // main sequencer states
    localparam [3:0] S_IDLE = 4'd0, S_PROG = 4'd1, S_IRQEN = 4'd2, S_START = 4'd3,
                     S_STREAM = 4'd4, S_WAIT = 4'd5, S_ABORT = 4'd6, S_READ = 4'd7,
                     S_LOG = 4'd8, S_FINISH = 4'd9;

    // ------------------------------------------------------------------
    // the core
    // ------------------------------------------------------------------
    reg         m_psel_q, m_penable_q, m_pwrite_q;
    reg  [15:0] m_paddr_q;
    reg  [31:0] m_pwdata_q;
    reg         s_valid_q;
    reg  [7:0]  s_data_q;
    wire        core_trace_valid;
    wire        seq_stream = h_busy && !h_ext_stream;
    wire        core_in_valid = seq_stream ? s_valid_q : in_valid;
    wire [7:0]  core_in_data = seq_stream ? s_data_q : in_data;

    sparrow_top u_top (
        .clk         (clk),
        .rst_n       (rst_n),
        .psel        (h_busy ? m_psel_q : psel),
        .penable     (h_busy ? m_penable_q : penable),
        .pwrite      (h_busy ? m_pwrite_q : pwrite),
        .paddr       (h_busy ? m_paddr_q : paddr),
        .pwdata      (h_busy ? m_pwdata_q : pwdata),
        .prdata      (prdata),
        .pready      (pready),
        .pslverr     (pslverr),
        .in_valid    (core_in_valid),
        .in_ready    (in_ready),
        .in_data     (core_in_data),
        .trace_valid (core_trace_valid),
        .trace_layer (trace_layer),
        .trace_index (trace_index),
        .trace_value (trace_value),
        .irq         (irq)
    );

    // ------------------------------------------------------------------
    // memories and files
    // ------------------------------------------------------------------
    reg [51:0] prog_mem [0:PROG_DEPTH-1];  // {op[3:0] (1 write, 0 read), addr[15:0], data[31:0]}
    reg [7:0]  in_mem [0:IN_DEPTH-1];      // input bytes, inference k at k * h_nbytes
    integer    fd_trace, fd_res, fd_reads;

    initial begin
        fd_trace = $fopen("harness_trace.txt", "w");
        fd_res   = $fopen("harness_results.txt", "w");
        fd_reads = $fopen("harness_reads.txt", "w");
    end

    // ------------------------------------------------------------------
    // state
    // ------------------------------------------------------------------
    reg [63:0]  cyc_q;             // absolute cycle
    reg [3:0]   state_q;
    reg         go_seen_q;         // last h_go value taken
    reg [31:0]  idx_q;             // PROG: transfer; RUN: inference
    reg [31:0]  lfsr_q;
    reg [31:0]  lfsr_start_q;      // LFSR state when the inference's start was written
    reg [12:0]  left_q;            // bytes not yet accepted
    reg [IAW-1:0] ptr_q;           // next byte to offer
    reg [1:0]   burst_q;           // bursty pattern phase
    reg [5:0]   stall_q;           // long-stall countdown
    reg [63:0]  s_cyc_q;           // access cycle of the start write
    reg [63:0]  e_cyc_q;           // cycle of the last accepted byte
    reg [63:0]  irq_cyc_q;         // first cycle with irq high
    reg         in_compute_q;      // between the last byte and done (for the stuck fault)
    reg [31:0]  wait_q;            // cycles waited in the current phase
    reg         timeout_q;         // the inference timed out (load or compute)
    reg [4:0]   rd_q;              // result read index
    reg [31:0]  rd_val_q [0:N_READS-1];
    integer     i, j;

    // APB master: a transfer is requested with t_req_q and ends with t_done (one cycle)
    reg         t_req_q;
    reg         t_write_q;
    reg  [15:0] t_addr_q;
    reg  [31:0] t_wdata_q;
    reg  [31:0] t_rdata_q;
    reg         t_err_q;
    reg         t_done_q;          // pulse: transfer completed at this edge
    reg         t_start_q;         // the transfer is the CTRL.start write of an inference

    // ------------------------------------------------------------------
    // trace recorder (sees the stuck-valid fault)
    // ------------------------------------------------------------------
    wire stuck_d = h_stuck_en && in_compute_q && (cyc_q - e_cyc_q - 64'd1 >= {32'd0, h_stuck_from});
    assign trace_valid = core_trace_valid || stuck_d;

    always @(posedge clk) begin
        if (h_rst_n && trace_valid) begin
            $fwrite(fd_trace, "%0d %0d %0d %0d %0d\n", idx_q, cyc_q, trace_layer, trace_index,
                    trace_value);
        end
    end

    // ------------------------------------------------------------------
    // valid pattern: does the source offer a byte in the next cycle?
    // ------------------------------------------------------------------
    wire [31:0] lfsr_next = lfsr_q[0] ? ((lfsr_q >> 1) ^ 32'h8020_0003) : (lfsr_q >> 1);
    reg         want_d;
    always @(*) begin
        case (h_vmode)
            2'd0:    want_d = 1'b1;
            2'd1:    want_d = (lfsr_q[7:0] < h_vprob);
            2'd2:    want_d = (burst_q != 2'd3);
            default: want_d = (stall_q == 6'd0) && (lfsr_q[4:0] != 5'd0);
        endcase
    end

    wire       take_d = core_in_valid && in_ready;     // a byte is accepted at this edge
    wire [31:0] base_d = idx_q * {19'd0, h_nbytes};   // first byte of inference idx_q
    wire        _unused_ok = &{1'b0, base_d[31:IAW]};
    wire [12:0] left_after = left_q - {12'd0, take_d};

    // ------------------------------------------------------------------
    // sequencer
    // ------------------------------------------------------------------
    always @(posedge clk) begin
        cyc_q   <= cyc_q + 64'd1;
        h_cycle <= cyc_q + 64'd1;
        t_done_q <= 1'b0;
        if (!h_rst_n) begin
            state_q     <= S_IDLE;
            go_seen_q   <= h_go;
            h_ack       <= h_go;
            h_busy      <= 1'b0;
            t_req_q     <= 1'b0;
            t_start_q   <= 1'b0;
            m_psel_q    <= 1'b0;
            m_penable_q <= 1'b0;
            m_pwrite_q  <= 1'b0;
            m_paddr_q   <= 16'd0;
            m_pwdata_q  <= 32'd0;
            s_valid_q   <= 1'b0;
            s_data_q    <= 8'd0;
            in_compute_q <= 1'b0;
            idx_q       <= 32'd0;
        end else begin
            // ---- APB master ----
            if (t_req_q && !m_psel_q) begin                     // setup cycle
                m_psel_q    <= 1'b1;
                m_penable_q <= 1'b0;
                m_pwrite_q  <= t_write_q;
                m_paddr_q   <= t_addr_q;
                m_pwdata_q  <= t_write_q ? t_wdata_q : 32'd0;
            end else if (m_psel_q && !m_penable_q) begin        // access cycle follows
                m_penable_q <= 1'b1;
            end else if (m_psel_q && m_penable_q && pready) begin  // completes at this edge
                m_psel_q    <= 1'b0;
                m_penable_q <= 1'b0;
                t_rdata_q   <= prdata;
                t_err_q     <= pslverr;
                t_req_q     <= 1'b0;
                t_start_q   <= 1'b0;
                t_done_q    <= 1'b1;
                if (t_start_q) begin
                    s_cyc_q <= cyc_q;                             // access cycle of start
                end
            end

            // ---- main sequencer ----
            case (state_q)
                S_IDLE: begin
                    if (h_go != go_seen_q) begin
                        // every command starts its files afresh (they never grow unbounded)
                        $fclose(fd_trace);
                        $fclose(fd_res);
                        $fclose(fd_reads);
                        /* verilator lint_off BLKSEQ */   // file handles, not logic
                        fd_trace = $fopen("harness_trace.txt", "w");
                        fd_res   = $fopen("harness_results.txt", "w");
                        fd_reads = $fopen("harness_reads.txt", "w");
                        /* verilator lint_on BLKSEQ */
                        go_seen_q <= h_go;
                        h_busy    <= 1'b1;
                        idx_q     <= 32'd0;
                        if (h_cmd == CMD_PROG) begin
                            if (h_count != 32'd0) begin
                                $readmemh("harness_prog.hex", prog_mem, 0, h_count - 32'd1);
                            end
                            state_q <= (h_count == 32'd0) ? S_FINISH : S_PROG;
                        end else if (h_cmd == CMD_RUN) begin
                            if (!h_ext_stream && h_count != 32'd0) begin
                                $readmemh("harness_in.hex", in_mem, 0,
                                          h_count * {19'd0, h_nbytes} - 32'd1);
                            end
                            lfsr_q  <= (h_seed == 32'd0) ? 32'd1 : h_seed;
                            burst_q <= 2'd0;
                            stall_q <= 6'd0;
                            state_q <= (h_count == 32'd0) ? S_FINISH : S_IRQEN;
                        end else begin
                            state_q <= S_FINISH;
                        end
                    end
                end

                S_PROG: begin
                    if (!t_req_q && !t_done_q) begin
                        t_req_q   <= 1'b1;
                        t_write_q <= (prog_mem[idx_q[$clog2(PROG_DEPTH)-1:0]][51:48] == 4'd1);
                        t_addr_q  <= prog_mem[idx_q[$clog2(PROG_DEPTH)-1:0]][47:32];
                        t_wdata_q <= prog_mem[idx_q[$clog2(PROG_DEPTH)-1:0]][31:0];
                    end else if (t_done_q) begin
                        $fwrite(fd_reads, "%0d %0d %0d %0d %0d\n", idx_q, t_write_q, t_addr_q,
                                t_write_q ? t_wdata_q : t_rdata_q, t_err_q);
                        if (idx_q + 32'd1 == h_count) begin
                            state_q <= S_FINISH;
                        end else begin
                            idx_q <= idx_q + 32'd1;
                        end
                    end
                end

                S_IRQEN: begin                                   // IRQ_EN = 1 once per RUN
                    if (!t_req_q && !t_done_q) begin
                        t_req_q   <= 1'b1;
                        t_write_q <= 1'b1;
                        t_addr_q  <= A_IRQ_EN;
                        t_wdata_q <= 32'd1;
                    end else if (t_done_q) begin
                        state_q <= S_START;
                    end
                end

                S_START: begin                                   // CTRL.start
                    // the stream starts offering bytes at once: valid may be high before the
                    // core raises in_ready (after the start write and the descriptor check)
                    if (!t_req_q && !t_done_q) begin
                        t_req_q      <= 1'b1;
                        t_write_q    <= 1'b1;
                        t_start_q    <= 1'b1;
                        t_addr_q     <= A_CTRL;
                        t_wdata_q    <= 32'd1;
                        lfsr_start_q <= lfsr_q;
                        burst_q      <= 2'd0;
                        stall_q      <= 6'd0;
                        timeout_q    <= 1'b0;
                        irq_cyc_q    <= 64'd0;
                        left_q       <= h_nbytes;
                        ptr_q        <= base_d[IAW-1:0];
                        wait_q       <= 32'd0;
                        state_q      <= S_STREAM;
                    end
                end

                S_STREAM: begin
                    lfsr_q <= lfsr_next;
                    wait_q <= wait_q + 32'd1;
                    if (take_d) begin
                        ptr_q <= ptr_q + 1'b1;
                    end
                    // next cycle's offer (valid is held until the byte is taken)
                    if (s_valid_q && !take_d) begin
                        s_valid_q <= 1'b1;
                    end else begin
                        if (h_vmode == 2'd2) begin
                            burst_q <= burst_q + 2'd1;
                        end
                        if (h_vmode == 2'd3) begin
                            if (stall_q != 6'd0) begin
                                stall_q <= stall_q - 6'd1;
                            end else if (lfsr_q[4:0] == 5'd0) begin
                                stall_q <= lfsr_q[13:8];
                            end
                        end
                        if (left_after != 13'd0 && want_d) begin
                            s_valid_q <= 1'b1;
                            s_data_q  <= in_mem[take_d ? ptr_q + 1'b1 : ptr_q];
                        end else begin
                            s_valid_q <= 1'b0;
                            s_data_q  <= lfsr_q[31:24];
                        end
                    end
                    left_q <= left_after;
                    if (take_d && left_q == 13'd1) begin          // the last byte
                        e_cyc_q      <= cyc_q;
                        in_compute_q <= 1'b1;
                        s_valid_q    <= 1'b0;
                        wait_q       <= 32'd0;
                        state_q      <= S_WAIT;
                    end else if (wait_q >= h_timeout) begin
                        timeout_q <= 1'b1;
                        s_valid_q <= 1'b0;
                        e_cyc_q   <= cyc_q;
                        state_q   <= S_ABORT;
                    end
                end

                S_WAIT: begin
                    wait_q <= wait_q + 32'd1;
                    if (irq) begin
                        irq_cyc_q    <= cyc_q;
                        in_compute_q <= 1'b0;
                        rd_q         <= 5'd0;
                        state_q      <= S_READ;
                    end else if (wait_q >= h_timeout) begin
                        timeout_q    <= 1'b1;
                        in_compute_q <= 1'b0;
                        state_q      <= S_ABORT;
                    end
                end

                S_ABORT: begin                                   // CTRL.abort after a timeout
                    if (!t_req_q && !t_done_q) begin
                        t_req_q   <= 1'b1;
                        t_write_q <= 1'b1;
                        t_addr_q  <= A_CTRL;
                        t_wdata_q <= 32'd2;
                    end else if (t_done_q) begin
                        rd_q    <= 5'd0;
                        state_q <= S_READ;
                    end
                end

                S_READ: begin                                    // 23 result registers
                    if (!t_req_q && !t_done_q) begin
                        t_req_q   <= 1'b1;
                        t_write_q <= 1'b0;
                        if (rd_q == 5'd0) begin
                            t_addr_q <= A_STATUS;
                        end else if (rd_q == 5'd1) begin
                            t_addr_q <= A_CLASS;
                        end else if (rd_q < 5'd18) begin
                            t_addr_q <= A_LOGIT + {9'd0, rd_q - 5'd2, 2'b00};
                        end else begin
                            t_addr_q <= A_CNT + {9'd0, rd_q - 5'd18, 2'b00};
                        end
                    end else if (t_done_q) begin
                        rd_val_q[rd_q] <= t_rdata_q;
                        if (rd_q == LAST_READ) begin
                            state_q <= S_LOG;
                        end else begin
                            rd_q <= rd_q + 5'd1;
                        end
                    end
                end

                S_LOG: begin
                    $fwrite(fd_res, "%0d %0d %0d %0d %0d %0d", idx_q, s_cyc_q, e_cyc_q,
                            irq_cyc_q, timeout_q, lfsr_start_q);
                    for (i = 0; i < N_READS; i = i + 1) begin
                        $fwrite(fd_res, " %0d", rd_val_q[i]);
                    end
                    $fwrite(fd_res, "\n");
                    if (idx_q + 32'd1 == h_count) begin
                        state_q <= S_FINISH;
                    end else begin
                        idx_q   <= idx_q + 32'd1;
                        state_q <= S_START;
                    end
                end

                S_FINISH: begin
                    $fflush(fd_trace);
                    $fflush(fd_res);
                    $fflush(fd_reads);
                    h_busy  <= 1'b0;
                    h_ack   <= go_seen_q;
                    state_q <= S_IDLE;
                end

                default: state_q <= S_IDLE;
            endcase
        end
    end

    initial begin
        cyc_q   = 64'd0;
        h_cycle = 64'd0;
        h_ack   = 1'b0;
        h_busy  = 1'b0;
        state_q = S_IDLE;
        go_seen_q = 1'b0;
        t_req_q = 1'b0;
        t_done_q = 1'b0;
        t_start_q = 1'b0;
        m_psel_q = 1'b0;
        m_penable_q = 1'b0;
        in_compute_q = 1'b0;
        s_valid_q = 1'b0;
        idx_q = 32'd0;
        e_cyc_q = 64'd0;
        for (j = 0; j < N_READS; j = j + 1) begin
            rd_val_q[j] = 32'd0;
        end
    end

endmodule

`default_nettype wire
