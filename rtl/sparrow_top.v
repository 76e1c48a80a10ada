// sparrow_top.v: SparrowSNN top level: APB3 host port, valid/ready input stream,
// controller, datapath (LANES MAC lanes, LANES ssf_fire units, running argmax,
// logit registers), the five memories, trace port and interrupt
// (docs/architecture.md §2-§7). The build parameters' defaults come from the
// generated sparrow_build.vh (source: interface/sparrow.toml).
//
// Memory ownership: while the controller is idle the host port (apb_regs) drives
// the weight, bias and theta memories; otherwise the controller does (apb_regs
// refuses host memory accesses then). Activation buffer 0 is written by
// stream_in while loading; during compute layer l reads buffer l mod 2 and
// writes buffer (l+1) mod 2, the last layer writes the logit registers.
`include "sparrow_build.vh"
`default_nettype none

module sparrow_top #(
    parameter integer LANES       = `SPARROW_LANES,  // output channels per group (MAC lanes)
    parameter integer MAX_LAYERS  = `SPARROW_MAX_LAYERS,  // descriptor table entries
    parameter integer MAX_CH      = `SPARROW_MAX_CH,  // channel limit of a conv layer / the input
    parameter integer MAX_LEN     = `SPARROW_MAX_LEN,  // sequence length limit
    parameter integer ACT_DEPTH   = `SPARROW_ACT_DEPTH,  // activation buffer words (C*L limit)
    parameter integer MAX_K       = `SPARROW_MAX_K,  // kernel limit
    parameter integer MAX_S       = `SPARROW_MAX_S,  // stride limit
    parameter integer MAX_P       = `SPARROW_MAX_P,  // padding limit
    parameter integer MAX_OUT_F   = `SPARROW_MAX_OUT_F,  // dense out_features limit
    parameter integer CNT_W       = `SPARROW_CNT_W,  // spike-count width (T <= 2^CNT_W - 1)
    parameter integer TH_W        = `SPARROW_TH_W,  // threshold width
    parameter integer ACC_W       = `SPARROW_ACC_W,  // accumulator width (bias included)
    parameter integer WMEM_DEPTH  = `SPARROW_WMEM_DEPTH,  // weight memory words (64 bit)
    parameter integer BMEM_DEPTH  = `SPARROW_BMEM_DEPTH,  // bias/theta memory groups
    parameter integer MAX_CLASSES = `SPARROW_MAX_CLASSES  // last-layer outputs (logit registers)
) (
    input  wire               clk,          // clock, rising edge
    input  wire               rst_n,        // synchronous reset, active low
    // APB3 slave
    input  wire               psel,         // slave selected
    input  wire               penable,      // access phase
    input  wire               pwrite,       // 1: write, 0: read
    input  wire [15:0]        paddr,        // byte address
    input  wire [31:0]        pwdata,       // write data
    output wire [31:0]        prdata,       // read data
    output wire               pready,       // always 1
    output wire               pslverr,      // error response
    // input stream (valid/ready)
    input  wire               in_valid,     // source has a byte
    output wire               in_ready,     // the core takes it this cycle
    input  wire [7:0]         in_data,      // input byte (channel-major order)
    // trace port: one event per written output
    output wire               trace_valid,  // an output is written this cycle
    output wire [2:0]         trace_layer,  // its layer
    output wire [11:0]        trace_index,  // o*Lout + t (dense: o)
    output wire signed [31:0] trace_value,  // count, or logit of a `none` last layer
    // interrupt
    output wire               irq           // done & IRQ_EN[0]
);

    // This build's geometry is fixed by the memory macros and the register map.
    generate
        if (LANES != `SPARROW_LANES || CNT_W != `SPARROW_CNT_W || TH_W != `SPARROW_TH_W
                || ACC_W != `SPARROW_ACC_W || LANES != 8 || CNT_W != 8 || TH_W != 16
                || ACC_W != 32) begin : g_bad_widths
            sparrow_top_parameter_error_LANES_8_CNT_W_8_TH_W_16_ACC_W_32_are_fixed u_param_error ();
        end
        if (ACT_DEPTH != 4096 || WMEM_DEPTH != 2048 || BMEM_DEPTH != 128) begin : g_bad_mem
            sparrow_top_parameter_error_memory_geometry_is_fixed u_param_error ();
        end
        if (MAX_LAYERS != 8 || MAX_CLASSES != 16) begin : g_bad_map
            sparrow_top_parameter_error_MAX_LAYERS_8_MAX_CLASSES_16_are_fixed u_param_error ();
        end
    endgenerate

    localparam integer DESC_W = `SPARROW_DESC_W;  // packed descriptor fields per layer
    localparam integer SUM_W  = ACC_W + 1;   // lane sum width

    // ------------------------------------------------------------------
    // Host port
    // ------------------------------------------------------------------
    wire                         start_d, abort_d;
    wire [3:0]                   num_layers_d;
    wire [MAX_LAYERS*DESC_W-1:0] desc_d;
    wire                         idle_d, busy_d, done_d, error_d, loading_d;
    wire [3:0]                   err_layer_d;
    wire [7:0]                   err_code_d;
    wire [3:0]                   class_d;
    wire [31:0]                  cnt_cycles_d, cnt_wreads_d, cnt_macs_d, cnt_skips_d, cnt_load_d;
    wire                         res_clr_d;
    wire                         out_valid_d, out_logit_d;
    wire [2:0]                   out_lane_d, out_layer_d;
    wire [11:0]                  out_index_d;
    wire signed [ACC_W-1:0]      y_sel_d;

    wire                         h_wmem_ce, h_wmem_we;
    wire [7:0]                   h_wmem_wmask;
    wire [10:0]                  h_wmem_addr;
    wire [63:0]                  h_wmem_wdata;
    wire                         h_bmem_ce, h_bmem_we;
    wire [7:0]                   h_bmem_wmask;
    wire [6:0]                   h_bmem_addr;
    wire [255:0]                 h_bmem_wdata;
    wire                         h_tmem_ce, h_tmem_we;
    wire [7:0]                   h_tmem_wmask;
    wire [6:0]                   h_tmem_addr;
    wire [127:0]                 h_tmem_wdata;
    wire [63:0]                  wmem_rdata_d;
    wire [255:0]                 bmem_rdata_d;
    wire [127:0]                 tmem_rdata_d;

    apb_regs #(
        .LANES       (LANES),
        .MAX_LAYERS  (MAX_LAYERS),
        .ACC_W       (ACC_W),
        .MAX_CLASSES (MAX_CLASSES),
        .DESC_W      (DESC_W)
    ) u_apb_regs (
        .clk          (clk),
        .rst_n        (rst_n),
        .psel         (psel),
        .penable      (penable),
        .pwrite       (pwrite),
        .paddr        (paddr),
        .pwdata       (pwdata),
        .prdata       (prdata),
        .pready       (pready),
        .pslverr      (pslverr),
        .start_o      (start_d),
        .abort_o      (abort_d),
        .num_layers_o (num_layers_d),
        .desc_o       (desc_d),
        .core_idle_i  (idle_d),
        .busy_i       (busy_d),
        .done_i       (done_d),
        .error_i      (error_d),
        .loading_i    (loading_d),
        .err_layer_i  (err_layer_d),
        .err_code_i   (err_code_d),
        .class_i      (class_d),
        .cnt_cycles_i (cnt_cycles_d),
        .cnt_wreads_i (cnt_wreads_d),
        .cnt_macs_i   (cnt_macs_d),
        .cnt_skips_i  (cnt_skips_d),
        .cnt_load_i   (cnt_load_d),
        .logit_clr_i  (res_clr_d),
        .logit_we_i   (out_logit_d),
        .logit_idx_i  (out_index_d[3:0]),
        .logit_val_i  (y_sel_d),
        .irq_o        (irq),
        .wmem_ce_o    (h_wmem_ce),
        .wmem_we_o    (h_wmem_we),
        .wmem_wmask_o (h_wmem_wmask),
        .wmem_addr_o  (h_wmem_addr),
        .wmem_wdata_o (h_wmem_wdata),
        .wmem_rdata_i (wmem_rdata_d),
        .bmem_ce_o    (h_bmem_ce),
        .bmem_we_o    (h_bmem_we),
        .bmem_wmask_o (h_bmem_wmask),
        .bmem_addr_o  (h_bmem_addr),
        .bmem_wdata_o (h_bmem_wdata),
        .bmem_rdata_i (bmem_rdata_d),
        .tmem_ce_o    (h_tmem_ce),
        .tmem_we_o    (h_tmem_we),
        .tmem_wmask_o (h_tmem_wmask),
        .tmem_addr_o  (h_tmem_addr),
        .tmem_wdata_o (h_tmem_wdata),
        .tmem_rdata_i (tmem_rdata_d)
    );

    // ------------------------------------------------------------------
    // Input stream
    // ------------------------------------------------------------------
    wire        load_arm_d, load_last_d;
    wire [12:0] load_count_d;
    wire        s_we_d;
    wire [11:0] s_addr_d;
    wire [7:0]  s_wdata_d;

    stream_in #(
        .ACT_DEPTH (ACT_DEPTH)
    ) u_stream_in (
        .clk         (clk),
        .rst_n       (rst_n),
        .arm_i       (load_arm_d),
        .abort_i     (abort_d),
        .count_i     (load_count_d),
        .in_valid    (in_valid),
        .in_ready    (in_ready),
        .in_data     (in_data),
        .mem_we_o    (s_we_d),
        .mem_addr_o  (s_addr_d),
        .mem_wdata_o (s_wdata_d),
        .last_o      (load_last_d)
    );

    // ------------------------------------------------------------------
    // Controller
    // ------------------------------------------------------------------
    wire             act_rd_d, act_rd_buf_d, act_wr_d, act_wr_buf_d;
    wire [11:0]      act_rd_addr_d, act_wr_addr_d;
    wire [7:0]       act_rdata_d;
    wire             c_wmem_rd, c_bmem_rd;
    wire [10:0]      c_wmem_addr;
    wire [6:0]       c_bmem_addr;
    wire             mac_clr_d, mac_en_d, fire_valid_d, fire_ssf_d;
    wire [7:0]       mac_x_d, fire_t_d;
    wire [LANES-1:0] lane_en_d;

    ctrl #(
        .LANES       (LANES),
        .MAX_LAYERS  (MAX_LAYERS),
        .DESC_W      (DESC_W),
        .ACT_DEPTH   (ACT_DEPTH),
        .WMEM_DEPTH  (WMEM_DEPTH),
        .BMEM_DEPTH  (BMEM_DEPTH),
        .MAX_CH      (MAX_CH),
        .MAX_LEN     (MAX_LEN),
        .MAX_K       (MAX_K),
        .MAX_S       (MAX_S),
        .MAX_P       (MAX_P),
        .MAX_OUT_F   (MAX_OUT_F),
        .MAX_CLASSES (MAX_CLASSES)
    ) u_ctrl (
        .clk           (clk),
        .rst_n         (rst_n),
        .start_i       (start_d),
        .abort_i       (abort_d),
        .num_layers_i  (num_layers_d),
        .desc_i        (desc_d),
        .idle_o        (idle_d),
        .busy_o        (busy_d),
        .done_o        (done_d),
        .error_o       (error_d),
        .loading_o     (loading_d),
        .err_layer_o   (err_layer_d),
        .err_code_o    (err_code_d),
        .load_arm_o    (load_arm_d),
        .load_count_o  (load_count_d),
        .load_last_i   (load_last_d),
        .act_rd_o      (act_rd_d),
        .act_rd_buf_o  (act_rd_buf_d),
        .act_rd_addr_o (act_rd_addr_d),
        .act_rdata_i   (act_rdata_d),
        .act_wr_o      (act_wr_d),
        .act_wr_buf_o  (act_wr_buf_d),
        .act_wr_addr_o (act_wr_addr_d),
        .wmem_rd_o     (c_wmem_rd),
        .wmem_addr_o   (c_wmem_addr),
        .bmem_rd_o     (c_bmem_rd),
        .bmem_addr_o   (c_bmem_addr),
        .mac_clr_o     (mac_clr_d),
        .mac_en_o      (mac_en_d),
        .mac_x_o       (mac_x_d),
        .lane_en_o     (lane_en_d),
        .fire_valid_o  (fire_valid_d),
        .fire_ssf_o    (fire_ssf_d),
        .fire_t_o      (fire_t_d),
        .res_clr_o     (res_clr_d),
        .out_valid_o   (out_valid_d),
        .out_logit_o   (out_logit_d),
        .out_lane_o    (out_lane_d),
        .out_layer_o   (out_layer_d),
        .out_index_o   (out_index_d),
        .cnt_cycles_o  (cnt_cycles_d),
        .cnt_wreads_o  (cnt_wreads_d),
        .cnt_macs_o    (cnt_macs_d),
        .cnt_skips_o   (cnt_skips_d),
        .cnt_load_o    (cnt_load_d)
    );

    // ------------------------------------------------------------------
    // Memories
    // ------------------------------------------------------------------
    sram_sp_2048x64 u_wmem (
        .clk   (clk),
        .ce    (idle_d ? h_wmem_ce : c_wmem_rd),
        .we    (idle_d && h_wmem_we),
        .wmask (h_wmem_wmask),
        .addr  (idle_d ? h_wmem_addr : c_wmem_addr),
        .wdata (h_wmem_wdata),
        .rdata (wmem_rdata_d)
    );

    sram_sp_128x256 u_bmem (
        .clk   (clk),
        .ce    (idle_d ? h_bmem_ce : c_bmem_rd),
        .we    (idle_d && h_bmem_we),
        .wmask (h_bmem_wmask),
        .addr  (idle_d ? h_bmem_addr : c_bmem_addr),
        .wdata (h_bmem_wdata),
        .rdata (bmem_rdata_d)
    );

    sram_sp_128x128 u_tmem (
        .clk   (clk),
        .ce    (idle_d ? h_tmem_ce : c_bmem_rd),
        .we    (idle_d && h_tmem_we),
        .wmask (h_tmem_wmask),
        .addr  (idle_d ? h_tmem_addr : c_bmem_addr),
        .wdata (h_tmem_wdata),
        .rdata (tmem_rdata_d)
    );

    // activation buffers: b = 0 also takes the input stream
    wire [7:0] act_rdata_b [0:1];
    genvar b;
    generate
        for (b = 0; b < 2; b = b + 1) begin : g_act
            wire rd_d = act_rd_d && (act_rd_buf_d == b[0]);
            wire wr_d = act_wr_d && (act_wr_buf_d == b[0]);
            wire st_d = (b == 0) && s_we_d;
            sram_sp_4096x8 u_act (
                .clk   (clk),
                .ce    (rd_d || wr_d || st_d),
                .we    (wr_d || st_d),
                .wmask (1'b1),
                .addr  (st_d ? s_addr_d : (wr_d ? act_wr_addr_d : act_rd_addr_d)),
                .wdata (st_d ? s_wdata_d : y_sel_d[7:0]),
                .rdata (act_rdata_b[b])
            );
        end
    endgenerate
    assign act_rdata_d = act_rdata_b[act_rd_buf_d];

    // ------------------------------------------------------------------
    // Datapath: MAC lanes, fire units, output select, running argmax
    // ------------------------------------------------------------------
    wire [LANES*SUM_W-1:0] sums_d;
    wire [LANES*ACC_W-1:0] y_d;
    wire [LANES-1:0]       fire_ov_d;

    mac_array #(
        .LANES (LANES),
        .ACC_W (ACC_W)
    ) u_mac (
        .clk     (clk),
        .rst_n   (rst_n),
        .clr     (mac_clr_d),
        .en      (mac_en_d),
        .x_i     (mac_x_d),
        .w_i     (wmem_rdata_d),
        .lane_en (lane_en_d),
        .sum_o   (sums_d)
    );

    genvar m;
    generate
        for (m = 0; m < LANES; m = m + 1) begin : g_fire
            ssf_fire #(
                .ACC_W (ACC_W),
                .CNT_W (CNT_W),
                .TH_W  (TH_W)
            ) u_fire (
                .clk       (clk),
                .rst_n     (rst_n),
                .in_valid  (fire_valid_d),
                .sum_i     (sums_d[SUM_W*m +: SUM_W]),
                .bias_i    (bmem_rdata_d[ACC_W*m +: ACC_W]),
                .theta_i   (tmem_rdata_d[TH_W*m +: TH_W]),
                .t_i       (fire_t_d),
                .ssf_i     (fire_ssf_d),
                .out_valid (fire_ov_d[m]),
                .y_o       (y_d[ACC_W*m +: ACC_W])
            );
        end
    endgenerate

    assign y_sel_d = y_d[ACC_W*out_lane_d +: ACC_W];

    // Running argmax over the last layer's outputs. The key {y, ~index} is
    // strictly greater for a larger value, or an equal value at a lower index,
    // so ties go to the lowest index whatever order the outputs are written in
    // (a conv last layer writes o*Lout + t position by position).
    wire [3:0]       best_idx_d;
    wire [ACC_W+3:0] best_key_d;
    wire             best_seen_d;

    argmax #(
        .ACC_W (ACC_W + 4),
        .IDX_W (4)
    ) u_argmax (
        .clk        (clk),
        .rst_n      (rst_n),
        .clr        (res_clr_d),
        .in_valid   (out_logit_d),
        .value_i    ({y_sel_d, ~out_index_d[3:0]}),
        .idx_i      (out_index_d[3:0]),
        .best_idx_o (best_idx_d),
        .best_val_o (best_key_d),
        .seen_o     (best_seen_d)
    );
    assign class_d = best_idx_d;

    // ------------------------------------------------------------------
    // Trace port (zero outside events)
    // ------------------------------------------------------------------
    assign trace_valid = out_valid_d;
    assign trace_layer = out_valid_d ? out_layer_d : 3'd0;
    assign trace_index = out_valid_d ? out_index_d : 12'd0;
    assign trace_value = out_valid_d ? y_sel_d : 32'sd0;

    wire _unused_ok = &{1'b0, fire_ov_d, best_key_d, best_seen_d};

`ifdef FORMAL
    // ------------------------------------------------------------------
    // Formal properties (docs/formal.md, formal/sparrow_top.sby): the trace
    // port and the interrupt. (No X after reset: formal/top_nox.sv.)
    // ------------------------------------------------------------------
    reg f_past_q = 1'b0;
    always @(posedge clk) f_past_q <= 1'b1;
    always @(*) if (!f_past_q) assume (!rst_n);

    // No-X induction step (formal/top_nox_step.sv): the MAC lanes and the fire units are cut
    // out of that check (their own proven properties say their next state depends on these
    // inputs only when they are used); the inputs that may hold SRAM junk are compared only
    // where they are used.
    (* keep *) wire [63:0]  f_nox_w     = mac_en_d ? wmem_rdata_d : 64'd0;
    (* keep *) wire [255:0] f_nox_bias  = fire_valid_d ? bmem_rdata_d : 256'd0;
    (* keep *) wire [127:0] f_nox_theta = fire_valid_d ? tmem_rdata_d : 128'd0;

    reg f_wr_q, f_fire_q, f_rst_q;
    always @(posedge clk) begin
        f_wr_q   <= trace_valid;
        f_fire_q <= fire_valid_d;
        f_rst_q  <= !rst_n;
    end
    always @(*) if (f_past_q) begin
        if (!trace_valid) ap_top_trace_idle: assert (trace_layer == 3'd0 && trace_index == 12'd0 && trace_value == 32'sd0);
        // an event only in a WRITE cycle: busy, after the FIRE cycle or another WRITE
        if (trace_valid) ap_top_trace_write: assert (busy_d && !f_rst_q && (f_fire_q || f_wr_q) && !fire_valid_d);
        if (irq) ap_top_irq: assert (done_d);
    end
    always @(*) if (f_past_q) begin
        cv_top_trace_idle: cover (!trace_valid && busy_d);
        cv_top_trace_write: cover (trace_valid && f_wr_q);
        cv_top_irq: cover (irq);
    end
`endif
endmodule

`default_nettype wire
