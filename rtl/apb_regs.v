// apb_regs.v: APB3 slave of SparrowSNN: register file, layer descriptor table,
// logit registers and the host windows onto the weight, bias and theta memories
// (docs/architecture.md §6).
//
// Zero wait states (pready = 1). A transfer is a setup cycle (psel && !penable)
// followed by an access cycle (psel && penable). Register and descriptor writes
// take effect at the end of the access cycle. A memory read is issued to the
// SRAM in the setup cycle, so its registered read data is on prdata in the
// access cycle. The host owns the memories, the descriptor table and
// NUM_LAYERS only while the core is idle (core_idle_i); an access to them while
// the core runs is refused with pslverr and has no effect.
//
// pslverr in the access cycle flags: an address outside the map (including an
// address that is not a multiple of 4), a write to a read-only register, and a
// memory-window access, descriptor or NUM_LAYERS write while the core runs.
// prdata is 0 outside read access cycles and on refused reads.
`default_nettype none

module apb_regs #(
    parameter integer LANES       = 8,    // lanes of the build (PARAMS[7:0])
    parameter integer MAX_LAYERS  = 8,    // descriptor table entries (PARAMS[15:8])
    parameter integer ACC_W       = 32,   // accumulator width (PARAMS[23:16])
    parameter integer MAX_CLASSES = 16,   // logit registers (PARAMS[31:24])
    parameter integer DESC_W      = 130   // packed descriptor fields per layer (see desc_o)
) (
    input  wire                         clk,            // clock, rising edge
    input  wire                         rst_n,          // synchronous reset, active low
    // APB3 slave
    input  wire                         psel,           // slave selected
    input  wire                         penable,        // access phase
    input  wire                         pwrite,         // 1: write, 0: read
    input  wire [15:0]                  paddr,          // byte address
    input  wire [31:0]                  pwdata,         // write data
    output wire [31:0]                  prdata,         // read data (access cycle)
    output wire                         pready,         // always 1
    output wire                         pslverr,        // error response (access cycle)
    // to/from the controller
    output wire                         start_o,        // CTRL.start written (one cycle)
    output wire                         abort_o,        // CTRL.abort written (one cycle)
    output wire [3:0]                   num_layers_o,   // NUM_LAYERS[3:0]
    output wire [MAX_LAYERS*DESC_W-1:0] desc_o,         // layer l fields at [l*DESC_W +: DESC_W]:
                                                        //  [0] kind, [1] ssf, [9:2] T, [25:10] Cin,
                                                        //  [41:26] Lin, [57:42] Cout, [73:58] Lout,
                                                        //  [81:74] K, [89:82] S, [97:90] P,
                                                        //  [113:98] w_base, [129:114] b_base
    input  wire                         core_idle_i,    // controller idle: host owns memories/table
    input  wire                         busy_i,         // STATUS.busy
    input  wire                         done_i,         // STATUS.done
    input  wire                         error_i,        // STATUS.error
    input  wire                         loading_i,      // STATUS.loading
    input  wire [3:0]                   err_layer_i,    // STATUS[11:8]
    input  wire [7:0]                   err_code_i,     // STATUS[23:16]
    input  wire [3:0]                   class_i,        // CLASS[3:0]
    input  wire [31:0]                  cnt_cycles_i,   // CNT_CYCLES
    input  wire [31:0]                  cnt_wreads_i,   // CNT_WREADS
    input  wire [31:0]                  cnt_macs_i,     // CNT_MACS
    input  wire [31:0]                  cnt_skips_i,    // CNT_SKIPS
    input  wire [31:0]                  cnt_load_i,     // CNT_LOAD
    input  wire                         logit_clr_i,    // clear all LOGIT registers
    input  wire                         logit_we_i,     // write LOGIT[logit_idx_i]
    input  wire [3:0]                   logit_idx_i,    // logit index
    input  wire [31:0]                  logit_val_i,    // logit value
    output wire                         irq_o,          // done & IRQ_EN[0]
    // host port of the weight memory (2048 x 64, byte mask)
    output wire                         wmem_ce_o,      // access
    output wire                         wmem_we_o,      // write
    output wire [7:0]                   wmem_wmask_o,   // byte-lane enables
    output wire [10:0]                  wmem_addr_o,    // word address
    output wire [63:0]                  wmem_wdata_o,   // write data
    input  wire [63:0]                  wmem_rdata_i,   // read data
    // host port of the bias memory (128 x 8 x 32)
    output wire                         bmem_ce_o,      // access
    output wire                         bmem_we_o,      // write
    output wire [7:0]                   bmem_wmask_o,   // lane enables
    output wire [6:0]                   bmem_addr_o,    // group address
    output wire [255:0]                 bmem_wdata_o,   // write data
    input  wire [255:0]                 bmem_rdata_i,   // read data
    // host port of the theta memory (128 x 8 x 16)
    output wire                         tmem_ce_o,      // access
    output wire                         tmem_we_o,      // write
    output wire [7:0]                   tmem_wmask_o,   // lane enables
    output wire [6:0]                   tmem_addr_o,    // group address
    output wire [127:0]                 tmem_wdata_o,   // write data
    input  wire [127:0]                 tmem_rdata_i    // read data
);

    // The address map below is laid out for exactly this build.
    generate
        if (LANES != 8) begin : g_bad_lanes
            apb_regs_parameter_error_LANES_must_be_8 u_param_error ();
        end
        if (MAX_LAYERS != 8) begin : g_bad_layers
            apb_regs_parameter_error_MAX_LAYERS_must_be_8 u_param_error ();
        end
        if (MAX_CLASSES != 16) begin : g_bad_classes
            apb_regs_parameter_error_MAX_CLASSES_must_be_16 u_param_error ();
        end
        if (DESC_W != 130) begin : g_bad_desc_w
            apb_regs_parameter_error_DESC_W_must_be_130 u_param_error ();
        end
        if (ACC_W < 1 || ACC_W > 255) begin : g_bad_acc_w
            apb_regs_parameter_error_ACC_W_must_fit_8_bits u_param_error ();
        end
    endgenerate

    localparam [31:0] ID_VALUE     = 32'h5350_5257;  // "SPRW"
    localparam [31:0] PARAMS_VALUE = (MAX_CLASSES << 24) | (ACC_W << 16) | (MAX_LAYERS << 8) | LANES;

    // ------------------------------------------------------------------
    // Address decode
    // ------------------------------------------------------------------
    wire setup_d  = psel && !penable;
    wire access_d = psel && penable;
    wire wr_d     = access_d && pwrite;
    wire aligned_d = (paddr[1:0] == 2'b00);

    wire in_regs_d  = aligned_d && (paddr[15:8] == 8'h00);
    wire in_logit_d = aligned_d && (paddr[15:6] == 10'h004);   // 0x0100..0x013C
    wire in_desc_d  = aligned_d && (paddr[15:8] == 8'h02);     // 0x0200..0x02FC
    wire in_bias_d  = aligned_d && (paddr[15:12] == 4'h1);     // 0x1000..0x1FFF
    wire in_theta_d = aligned_d && (paddr[15:12] == 4'h2);     // 0x2000..0x2FFF
    wire in_wmem_d  = aligned_d && (paddr[15:14] == 2'b01);    // 0x4000..0x7FFF
    wire in_mem_d   = in_bias_d || in_theta_d || in_wmem_d;

    // register offsets inside 0x0000..0x00FF
    wire [5:0] reg_word_d = paddr[7:2];
    localparam [5:0] R_ID = 6'h00, R_PARAMS = 6'h01, R_CTRL = 6'h02, R_STATUS = 6'h03,
                     R_NUM_LAYERS = 6'h04, R_CLASS = 6'h05, R_IRQ_EN = 6'h06,
                     R_CYCLES = 6'h08, R_WREADS = 6'h09, R_MACS = 6'h0A, R_SKIPS = 6'h0B,
                     R_LOAD = 6'h0C;
    reg reg_known_d;   // mapped register
    reg reg_ro_d;      // read-only register
    always @(*) begin
        reg_known_d = 1'b1;
        reg_ro_d    = 1'b1;
        case (reg_word_d)
            R_ID, R_PARAMS, R_STATUS, R_CLASS,
            R_CYCLES, R_WREADS, R_MACS, R_SKIPS, R_LOAD: reg_ro_d = 1'b1;
            R_CTRL, R_NUM_LAYERS, R_IRQ_EN:               reg_ro_d = 1'b0;
            default: begin
                reg_known_d = 1'b0;
                reg_ro_d    = 1'b0;
            end
        endcase
    end

    wire mapped_d = (in_regs_d && reg_known_d) || in_logit_d || in_desc_d || in_mem_d;

    // ------------------------------------------------------------------
    // Registers
    // ------------------------------------------------------------------
    reg [3:0]  num_layers_q;
    reg        irq_en_q;
    reg [31:0] desc_q  [0:8*MAX_LAYERS-1];   // 8 words per layer
    reg [31:0] logit_q [0:MAX_CLASSES-1];
    reg        mem_rd_q;                     // a memory read was issued in the setup cycle

    wire wr_ctrl_d  = wr_d && in_regs_d && (reg_word_d == R_CTRL);
    wire wr_nl_d    = wr_d && in_regs_d && (reg_word_d == R_NUM_LAYERS) && core_idle_i;
    wire wr_irq_d   = wr_d && in_regs_d && (reg_word_d == R_IRQ_EN);
    wire wr_desc_d  = wr_d && in_desc_d && core_idle_i;
    wire [5:0] desc_idx_d = paddr[7:2];      // 8*layer + word
    wire [3:0] logit_rd_idx_d = paddr[5:2];

    integer i;
    always @(posedge clk) begin
        if (!rst_n) begin
            num_layers_q <= 4'd0;
            irq_en_q     <= 1'b0;
            mem_rd_q     <= 1'b0;
            for (i = 0; i < 8 * MAX_LAYERS; i = i + 1) begin
                desc_q[i] <= 32'd0;
            end
        end else begin
            mem_rd_q <= setup_d && !pwrite && in_mem_d && core_idle_i;
            if (wr_nl_d) begin
                num_layers_q <= pwdata[3:0];
            end
            if (wr_irq_d) begin
                irq_en_q <= pwdata[0];
            end
            if (wr_desc_d) begin
                desc_q[desc_idx_d] <= pwdata;
            end
        end
    end

    always @(posedge clk) begin
        if (!rst_n || logit_clr_i) begin
            for (i = 0; i < MAX_CLASSES; i = i + 1) begin
                logit_q[i] <= 32'd0;
            end
        end else if (logit_we_i) begin
            logit_q[logit_idx_i] <= logit_val_i;
        end
    end

    assign start_o      = wr_ctrl_d && pwdata[0];
    assign abort_o      = wr_ctrl_d && pwdata[1];
    assign num_layers_o = num_layers_q;
`ifdef FORMAL_MUTANT_TOP_IRQ
    assign irq_o        = irq_en_q;  // mutant: irq without done
`else
    assign irq_o        = done_i && irq_en_q;
`endif

    genvar l;
    generate
        for (l = 0; l < MAX_LAYERS; l = l + 1) begin : g_desc
            assign desc_o[l*DESC_W +: DESC_W] = {
                desc_q[8*l + 5][15:0],     // b_base
                desc_q[8*l + 4][15:0],     // w_base
                desc_q[8*l + 3][23:16],    // P
                desc_q[8*l + 3][15:8],     // S
                desc_q[8*l + 3][7:0],      // K
                desc_q[8*l + 2][31:16],    // Lout
                desc_q[8*l + 2][15:0],     // Cout
                desc_q[8*l + 1][31:16],    // Lin
                desc_q[8*l + 1][15:0],     // Cin
                desc_q[8*l + 0][15:8],     // T
                desc_q[8*l + 0][1],        // ssf
                desc_q[8*l + 0][0]         // kind
            };
        end
    endgenerate

    // ------------------------------------------------------------------
    // Host memory ports: reads issued in the setup cycle, writes in the access cycle
    // ------------------------------------------------------------------
    wire mem_rd_d = setup_d && !pwrite && core_idle_i;
    wire mem_wr_d = wr_d && core_idle_i;
    wire [2:0] lane_d = paddr[4:2];
    wire [7:0] lane_mask_d = 8'd1 << lane_d;

    assign wmem_ce_o    = in_wmem_d && (mem_rd_d || mem_wr_d);
    assign wmem_we_o    = in_wmem_d && mem_wr_d;
    assign wmem_wmask_o = paddr[2] ? 8'hF0 : 8'h0F;
    assign wmem_addr_o  = paddr[13:3];
    assign wmem_wdata_o = {pwdata, pwdata};

    assign bmem_ce_o    = in_bias_d && (mem_rd_d || mem_wr_d);
    assign bmem_we_o    = in_bias_d && mem_wr_d;
    assign bmem_wmask_o = lane_mask_d;
    assign bmem_addr_o  = paddr[11:5];
    assign bmem_wdata_o = {8{pwdata}};

    assign tmem_ce_o    = in_theta_d && (mem_rd_d || mem_wr_d);
    assign tmem_we_o    = in_theta_d && mem_wr_d;
    assign tmem_wmask_o = lane_mask_d;
    assign tmem_addr_o  = paddr[11:5];
    assign tmem_wdata_o = {8{pwdata[15:0]}};

    // ------------------------------------------------------------------
    // Read data and error response
    // ------------------------------------------------------------------
    wire [31:0] status_d = {8'd0, err_code_i, 4'd0, err_layer_i, 4'd0,
                            loading_i, error_i, done_i, busy_i};

    reg [31:0] reg_rdata_d;
    always @(*) begin
        case (reg_word_d)
            R_ID:         reg_rdata_d = ID_VALUE;
            R_PARAMS:     reg_rdata_d = PARAMS_VALUE;
            R_STATUS:     reg_rdata_d = status_d;
            R_NUM_LAYERS: reg_rdata_d = {28'd0, num_layers_q};
            R_CLASS:      reg_rdata_d = {28'd0, class_i};
            R_IRQ_EN:     reg_rdata_d = {31'd0, irq_en_q};
            R_CYCLES:     reg_rdata_d = cnt_cycles_i;
            R_WREADS:     reg_rdata_d = cnt_wreads_i;
            R_MACS:       reg_rdata_d = cnt_macs_i;
            R_SKIPS:      reg_rdata_d = cnt_skips_i;
            R_LOAD:       reg_rdata_d = cnt_load_i;
            default:      reg_rdata_d = 32'd0;   // CTRL (write-only) and holes
        endcase
    end

    wire [31:0] bias_lane_d  = bmem_rdata_i[32*lane_d +: 32];
    wire [15:0] theta_lane_d = tmem_rdata_i[16*lane_d +: 16];
    wire [31:0] wmem_half_d  = paddr[2] ? wmem_rdata_i[63:32] : wmem_rdata_i[31:0];

    reg [31:0] rdata_d;
    always @(*) begin
        rdata_d = 32'd0;
        if (in_regs_d) begin
            rdata_d = reg_rdata_d;
        end else if (in_logit_d) begin
            rdata_d = logit_q[logit_rd_idx_d];
        end else if (in_desc_d) begin
            rdata_d = desc_q[desc_idx_d];
        end else if (mem_rd_q) begin
            if (in_bias_d) begin
                rdata_d = bias_lane_d;
            end else if (in_theta_d) begin
                rdata_d = {16'd0, theta_lane_d};
            end else if (in_wmem_d) begin
                rdata_d = wmem_half_d;
            end
        end
    end

    wire err_d = !mapped_d
              || (pwrite && in_regs_d && reg_ro_d)
              || (pwrite && in_logit_d)
              || (pwrite && in_regs_d && (reg_word_d == R_NUM_LAYERS) && !core_idle_i)
              || (pwrite && (in_desc_d || in_mem_d) && !core_idle_i)
              || (!pwrite && in_mem_d && !mem_rd_q);

    assign prdata  = (access_d && !pwrite && !err_d) ? rdata_d : 32'd0;
`ifdef FORMAL_MUTANT_APB_BUSY_DESC
    assign pslverr = access_d && (err_d && !(pwrite && in_desc_d));  // mutant: busy desc writes accepted
`else
    assign pslverr = access_d && err_d;
`endif
    assign pready  = 1'b1;

`ifdef FORMAL
    // ------------------------------------------------------------------
    // Formal properties (docs/formal.md, formal/apb_regs.sby), on the ports
    // against the rules of docs/architecture.md §6 restated below. Environment:
    // an APB3 master (every access cycle follows a setup cycle of the same
    // transfer; a setup cycle is always followed by its access cycle; no
    // transfer during reset).
    // ------------------------------------------------------------------
    reg f_past_q = 1'b0;
    always @(posedge clk) f_past_q <= 1'b1;
    always @(*) if (!f_past_q) assume (!rst_n);

    reg        f_setup_q, f_idle_q, f_rst_q, f_write_q, f_err_q, f_access_q;
    reg [15:0] f_addr_q;
    reg [31:0] f_wdata_q;
    reg        f_pwrite_q;
    reg [3:0]  f_nl_q;
    reg        f_irq_en_q;
    reg [MAX_LAYERS*DESC_W-1:0] f_desc_q;
    always @(posedge clk) begin
        f_setup_q  <= psel && !penable;
        f_idle_q   <= core_idle_i;
        f_rst_q    <= !rst_n;
        f_addr_q   <= paddr;
        f_wdata_q  <= pwdata;
        f_pwrite_q <= pwrite;
        f_access_q <= rst_n && psel && penable;
        f_write_q  <= rst_n && psel && penable && pwrite && !pslverr;
        f_err_q    <= rst_n && pslverr;
        f_nl_q     <= num_layers_o;
        f_irq_en_q <= irq_en_q;
        f_desc_q   <= desc_o;
    end
    always @(*) if (!rst_n) assume (!psel);   // the master shares the reset
    always @(*) if (f_past_q) begin
        if (psel && penable) assume (f_setup_q && paddr == f_addr_q && pwrite == f_pwrite_q
                                     && pwdata == f_wdata_q);
        if (f_setup_q) assume (psel && penable);
    end

    // docs §6: the map, the access rights and the ownership rule
    wire [15:0] a = paddr;
    wire        f_aligned_d = (a[1:0] == 2'b00);
    wire        f_reg_d     = f_aligned_d && a <= 16'h00FF;
    wire        f_ro_d      = f_reg_d && (a == 16'h0000 || a == 16'h0004 || a == 16'h000C || a == 16'h0014
                                       || (a >= 16'h0020 && a <= 16'h0030));
    wire        f_rw_d      = f_reg_d && (a == 16'h0008 || a == 16'h0010 || a == 16'h0018);
    wire        f_logit_d   = f_aligned_d && a >= 16'h0100 && a <= 16'h013C;
    wire        f_desc_d    = f_aligned_d && a >= 16'h0200 && a <= 16'h02FC;
    wire        f_mem_d     = f_aligned_d && ((a >= 16'h1000 && a <= 16'h2FFF) || (a >= 16'h4000 && a <= 16'h7FFF));
    wire        f_owned_d   = pwrite ? !core_idle_i : !f_idle_q;   // core owns it when the access is issued
    wire        f_err_d     = !(f_ro_d || f_rw_d || f_logit_d || f_desc_d || f_mem_d)
                           || (pwrite && (f_ro_d || f_logit_d))
                           || (f_owned_d && (f_mem_d || (pwrite && (f_desc_d || a == 16'h0010))));

    // one descriptor word k (reserved words 6, 7 excluded), tracked as the host wrote it
    (* anyconst *) wire [5:0] f_k;
    reg [31:0] f_word_q;
    always @(posedge clk) begin
        if (!rst_n) f_word_q <= 32'd0;
        else if (psel && penable && pwrite && !pslverr && a == 16'h0200 + {8'd0, f_k, 2'b00}) f_word_q <= pwdata;
    end
    always @(*) assume (f_k[2:0] < 3'd6);
    wire [DESC_W-1:0] f_dl_d = desc_o[f_k[5:3]*DESC_W +: DESC_W];
    reg f_field_ok_d;
    always @(*) begin
        case (f_k[2:0])
            3'd0:    f_field_ok_d = f_dl_d[0] == f_word_q[0] && f_dl_d[1] == f_word_q[1] && f_dl_d[9:2] == f_word_q[15:8];
            3'd1:    f_field_ok_d = f_dl_d[25:10] == f_word_q[15:0] && f_dl_d[41:26] == f_word_q[31:16];
            3'd2:    f_field_ok_d = f_dl_d[57:42] == f_word_q[15:0] && f_dl_d[73:58] == f_word_q[31:16];
            3'd3:    f_field_ok_d = f_dl_d[81:74] == f_word_q[7:0] && f_dl_d[89:82] == f_word_q[15:8]
                                 && f_dl_d[97:90] == f_word_q[23:16];
            3'd4:    f_field_ok_d = f_dl_d[113:98] == f_word_q[15:0];
            default: f_field_ok_d = f_dl_d[129:114] == f_word_q[15:0];
        endcase
    end

    wire f_acc_d = psel && penable;
    always @(*) begin
        ap_apb_pready: assert (pready);
        if (!f_acc_d) ap_apb_err_phase: assert (!pslverr);
        if (!(f_acc_d && !pwrite)) ap_apb_rdata_zero: assert (prdata == 32'd0);
        if (f_past_q) begin
            if (f_acc_d) ap_apb_err_rules: assert (pslverr == f_err_d);
            if (pslverr) ap_apb_refused_strobes: assert (prdata == 0 && !start_o && !abort_o
                                                          && !wmem_we_o && !bmem_we_o && !tmem_we_o);
            if (!f_rst_q && !f_write_q)
                ap_apb_refused_state: assert (num_layers_o == f_nl_q && irq_en_q == f_irq_en_q && desc_o == f_desc_q);
            if (f_acc_d && !pwrite && a == 16'h0000) ap_apb_id: assert (prdata == ID_VALUE);
            if (f_acc_d && !pwrite && a == 16'h0004) ap_apb_params: assert (prdata == 32'h1020_0808);
            ap_apb_ctrl: assert (start_o == (f_acc_d && pwrite && a == 16'h0008 && pwdata[0])
                                 && abort_o == (f_acc_d && pwrite && a == 16'h0008 && pwdata[1]));
            if (f_write_q && f_addr_q == 16'h0010) ap_apb_num_layers: assert (num_layers_o == f_wdata_q[3:0]);
            if (f_acc_d && !pwrite && !pslverr && a == 16'h0200 + {8'd0, f_k, 2'b00})
                ap_apb_desc_readback: assert (prdata == f_word_q);
            ap_apb_desc_fields: assert (f_field_ok_d);
            ap_apb_desc_store: assert (desc_q[f_k] == f_word_q);
            if (f_rst_q) ap_apb_reset: assert (num_layers_o == 0 && !irq_o && desc_o == 0);
        end
    end
    always @(*) if (f_past_q) begin
        cv_apb_pready: cover (f_acc_d && pwrite && !pslverr);
        cv_apb_err_phase: cover (f_setup_q && f_acc_d && pslverr);
        cv_apb_rdata_zero: cover (f_acc_d && pwrite && pwdata != 0);
        cv_apb_err_rules: cover (f_acc_d && !pwrite && f_mem_d && core_idle_i && !f_idle_q);
        cv_apb_refused_strobes: cover (pslverr && pwrite && f_mem_d);
        cv_apb_refused_state: cover (f_err_q && f_pwrite_q && f_addr_q == 16'h0010);
        cv_apb_id: cover (f_acc_d && !pwrite && a == 16'h0000);
        cv_apb_params: cover (f_acc_d && !pwrite && a == 16'h0004);
        cv_apb_ctrl: cover (start_o);
        cv_apb_num_layers: cover (f_write_q && f_addr_q == 16'h0010 && f_wdata_q[3:0] == 4'd5);
        cv_apb_desc_readback: cover (f_acc_d && !pwrite && !pslverr && a == 16'h0200 + {8'd0, f_k, 2'b00}
                                     && f_word_q != 0);
        cv_apb_desc_store: cover (f_k == 6'd37 && desc_q[f_k] == 32'h0102_0304);
        cv_apb_desc_fields: cover (f_k == 6'd11 && f_word_q == 32'h0005_0007);
        cv_apb_reset: cover (f_rst_q && f_nl_q != 0);
    end
`endif
endmodule

`default_nettype wire
