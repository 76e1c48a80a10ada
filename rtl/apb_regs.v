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
//
// Addresses, field positions and the descriptor layout come from the generated
// headers sparrow_build.vh / sparrow_regs.vh (source: interface/sparrow.rdl).
// The descriptor table stores only the descriptor fields (DESC_W bits per
// layer): bits outside a field and the reserved words read 0, writes to them
// are accepted and ignored.
`include "sparrow_build.vh"
`default_nettype none

module apb_regs #(
    parameter integer LANES       = `SPARROW_LANES,        // lanes of the build (PARAMS.lanes)
    parameter integer MAX_LAYERS  = `SPARROW_MAX_LAYERS,   // descriptor table entries (PARAMS.max_layers)
    parameter integer ACC_W       = `SPARROW_ACC_W,        // accumulator width (PARAMS.acc_w)
    parameter integer MAX_CLASSES = `SPARROW_MAX_CLASSES,  // logit registers (PARAMS.max_classes)
    parameter integer DESC_W      = `SPARROW_DESC_W        // packed descriptor fields per layer (see desc_o)
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
    output wire [MAX_LAYERS*DESC_W-1:0] desc_o,         // layer l fields at [l*DESC_W +: DESC_W],
                                                        // field F at DESC_F_POS +: DESC_F_W
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

`include "sparrow_regs.vh"

    // The address decode below is laid out for exactly this build and map.
    generate
        if (LANES != `SPARROW_LANES) begin : g_bad_lanes
            apb_regs_parameter_error_LANES_is_fixed u_param_error ();
        end
        if (MAX_LAYERS != `SPARROW_MAX_LAYERS || MAX_LAYERS != 8) begin : g_bad_layers
            apb_regs_parameter_error_MAX_LAYERS_is_fixed u_param_error ();
        end
        if (MAX_CLASSES != `SPARROW_MAX_CLASSES || MAX_CLASSES != LOGIT_COUNT
                || MAX_CLASSES != 16) begin : g_bad_classes
            apb_regs_parameter_error_MAX_CLASSES_is_fixed u_param_error ();
        end
        if (DESC_W != `SPARROW_DESC_W) begin : g_bad_desc_w
            apb_regs_parameter_error_DESC_W_is_fixed u_param_error ();
        end
        if (ACC_W < 1 || ACC_W > 255) begin : g_bad_acc_w
            apb_regs_parameter_error_ACC_W_must_fit_8_bits u_param_error ();
        end
        if (DESC_STRIDE != 32 || DESC_USED_WORDS > DESC_WORDS || BIAS_BYTES != 4096
                || THETA_BYTES != 4096 || WMEM_BYTES != 16384) begin : g_bad_map
            apb_regs_parameter_error_address_map_does_not_fit_the_decode u_param_error ();
        end
    endgenerate

    localparam [31:0] PARAMS_VALUE = (MAX_CLASSES << PARAMS_MAX_CLASSES_LSB)
                                   | (ACC_W << PARAMS_ACC_W_LSB)
                                   | (MAX_LAYERS << PARAMS_MAX_LAYERS_LSB)
                                   | (LANES << PARAMS_LANES_LSB);

    // ------------------------------------------------------------------
    // Address decode
    // ------------------------------------------------------------------
    wire setup_d  = psel && !penable;
    wire access_d = psel && penable;
    wire wr_d     = access_d && pwrite;
    wire aligned_d = (paddr[1:0] == 2'b00);

    wire in_regs_d  = aligned_d && (paddr[15:8] == ADDR_ID[15:8]);      // register page
    wire in_logit_d = aligned_d && (paddr[15:6] == ADDR_LOGIT[15:6]);   // 16 words
    wire in_desc_d  = aligned_d && (paddr[15:8] == ADDR_DESC[15:8]);    // 8 layers x 32 bytes
    wire in_bias_d  = aligned_d && (paddr[15:12] == ADDR_BIAS[15:12]);  // 4 KiB
    wire in_theta_d = aligned_d && (paddr[15:12] == ADDR_THETA[15:12]); // 4 KiB
    wire in_wmem_d  = aligned_d && (paddr[15:14] == ADDR_WMEM[15:14]);  // 16 KiB
    wire in_mem_d   = in_bias_d || in_theta_d || in_wmem_d;

    // register offsets inside the register page
    wire [5:0] reg_word_d = paddr[7:2];
    localparam [5:0] R_ID = ADDR_ID[7:2], R_PARAMS = ADDR_PARAMS[7:2], R_CTRL = ADDR_CTRL[7:2],
                     R_STATUS = ADDR_STATUS[7:2], R_NUM_LAYERS = ADDR_NUM_LAYERS[7:2],
                     R_CLASS = ADDR_CLASS[7:2], R_IRQ_EN = ADDR_IRQ_EN[7:2],
                     R_CYCLES = ADDR_CNT_CYCLES[7:2], R_WREADS = ADDR_CNT_WREADS[7:2],
                     R_MACS = ADDR_CNT_MACS[7:2], R_SKIPS = ADDR_CNT_SKIPS[7:2],
                     R_LOAD = ADDR_CNT_LOAD[7:2];
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
    reg [31:0] logit_q [0:MAX_CLASSES-1];
    reg        mem_rd_q;                     // a memory read was issued in the setup cycle

    wire wr_ctrl_d  = wr_d && in_regs_d && (reg_word_d == R_CTRL);
    wire wr_nl_d    = wr_d && in_regs_d && (reg_word_d == R_NUM_LAYERS) && core_idle_i;
    wire wr_irq_d   = wr_d && in_regs_d && (reg_word_d == R_IRQ_EN);
    wire wr_desc_d  = wr_d && in_desc_d && core_idle_i;
    wire [2:0] desc_layer_d = paddr[7:5];    // DESC_STRIDE = 32 bytes per layer
    wire [2:0] desc_word_d  = paddr[4:2];    // word inside the layer's descriptor
    wire [3:0] logit_rd_idx_d = paddr[5:2];

    integer i;
    always @(posedge clk) begin
        if (!rst_n) begin
`ifdef FORMAL_MUTANT_APB_NL_NORESET
            // mutant: NUM_LAYERS left unreset (an X on prdata and desc checks)
`else
            num_layers_q <= 4'd0;
`endif
            irq_en_q     <= 1'b0;
            mem_rd_q     <= 1'b0;
        end else begin
`ifdef FORMAL_MUTANT_APB_MEM_RD
            mem_rd_q <= setup_d && !pwrite && in_mem_d;   // mutant: read data taken while the core owns the memory
`else
            mem_rd_q <= setup_d && !pwrite && in_mem_d && core_idle_i;
`endif
            if (wr_nl_d) begin
                num_layers_q <= pwdata[NUM_LAYERS_NUM_LAYERS_LSB +: NUM_LAYERS_NUM_LAYERS_W];
            end
            if (wr_irq_d) begin
                irq_en_q <= pwdata[IRQ_EN_EN_LSB];
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

    assign start_o      = wr_ctrl_d && pwdata[CTRL_START_LSB];
    assign abort_o      = wr_ctrl_d && pwdata[CTRL_ABORT_LSB];
    assign num_layers_o = num_layers_q;
`ifdef FORMAL_MUTANT_TOP_IRQ
    assign irq_o        = irq_en_q;  // mutant: irq without done
`else
    assign irq_o        = done_i && irq_en_q;
`endif

    // Descriptor table: per layer only the DESC_W field bits are stored, packed
    // as on desc_o; a write updates the fields of the addressed word.
    wire [32*MAX_LAYERS-1:0] desc_rd_d;   // per layer: its read data (0 unless addressed)
    genvar l;
    generate
        for (l = 0; l < MAX_LAYERS; l = l + 1) begin : g_desc
            localparam [2:0] LAYER = l;
            reg [DESC_W-1:0] fld_q;
            wire we_d = wr_desc_d && (desc_layer_d == LAYER);
            always @(posedge clk) begin
                if (!rst_n) begin
                    fld_q <= {DESC_W{1'b0}};
                end else if (we_d) begin
                    `SPARROW_DESC_WRITE(fld_q, desc_word_d, pwdata)
                end
            end
            assign desc_o[l*DESC_W +: DESC_W] = fld_q;

            // read data when this layer is addressed: the addressed word's fields in
            // place, every other bit (and every reserved word) 0
            reg [31:0] rd_d;
            always @(*) begin
                rd_d = 32'd0;
                if (desc_layer_d == LAYER) begin
                    `SPARROW_DESC_READ(rd_d, desc_word_d, fld_q)
                end
            end
            assign desc_rd_d[32*l +: 32] = rd_d;
        end
    endgenerate

    // read data of the addressed descriptor word: OR of the layers' contributions
    reg [31:0] desc_rdata_d;
    integer k;
    always @(*) begin
        desc_rdata_d = 32'd0;
        for (k = 0; k < MAX_LAYERS; k = k + 1) begin
            desc_rdata_d = desc_rdata_d | desc_rd_d[32*k +: 32];
        end
    end

    // ------------------------------------------------------------------
    // Host memory ports: reads issued in the setup cycle, writes in the access cycle
    // ------------------------------------------------------------------
    wire mem_rd_d = setup_d && !pwrite && core_idle_i;
    wire mem_wr_d = wr_d && core_idle_i;
    wire [2:0] lane_d = paddr[4:2];
    wire [7:0] lane_mask_d = 8'd1 << lane_d;

    assign wmem_ce_o    = in_wmem_d && (mem_rd_d || mem_wr_d);
    assign wmem_we_o    = in_wmem_d && mem_wr_d;
`ifdef FORMAL_MUTANT_APB_WMEM_MASK
    assign wmem_wmask_o = paddr[2] ? 8'h0F : 8'hF0;   // mutant: the other half written
`else
    assign wmem_wmask_o = paddr[2] ? 8'hF0 : 8'h0F;
`endif
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
    reg [31:0] status_d;
    always @(*) begin
        status_d = 32'd0;
        status_d[STATUS_BUSY_LSB]    = busy_i;
        status_d[STATUS_DONE_LSB]    = done_i;
        status_d[STATUS_ERROR_LSB]   = error_i;
        status_d[STATUS_LOADING_LSB] = loading_i;
        status_d[STATUS_ERR_LAYER_LSB +: STATUS_ERR_LAYER_W] = err_layer_i;
        status_d[STATUS_ERR_CODE_LSB +: STATUS_ERR_CODE_W]   = err_code_i;
    end


    reg [31:0] reg_rdata_d;
    always @(*) begin
        case (reg_word_d)
            R_ID:         reg_rdata_d = ID_VALUE;
            R_PARAMS:     reg_rdata_d = PARAMS_VALUE;
            R_STATUS:     reg_rdata_d = status_d;
            R_NUM_LAYERS: reg_rdata_d = {28'd0, num_layers_q} << NUM_LAYERS_NUM_LAYERS_LSB;
            R_CLASS:      reg_rdata_d = {28'd0, class_i} << CLASS_CLASS_IDX_LSB;
            R_IRQ_EN:     reg_rdata_d = {31'd0, irq_en_q} << IRQ_EN_EN_LSB;
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
`ifdef FORMAL_MUTANT_APB_WMEM_HALF
    wire [31:0] wmem_half_d  = paddr[2] ? wmem_rdata_i[31:0] : wmem_rdata_i[63:32];  // mutant: halves swapped
`else
    wire [31:0] wmem_half_d  = paddr[2] ? wmem_rdata_i[63:32] : wmem_rdata_i[31:0];
`endif

    reg [31:0] rdata_d;
    always @(*) begin
        rdata_d = 32'd0;
        if (in_regs_d) begin
            rdata_d = reg_rdata_d;
        end else if (in_logit_d) begin
            rdata_d = logit_q[logit_rd_idx_d];
        end else if (in_desc_d) begin
            rdata_d = desc_rdata_d;
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
    // the bits of word k that hold fields (docs §6 descriptor table); the rest read 0
    reg [31:0] f_mask_d;
    always @(*) begin
        case (f_k[2:0])
            3'd0:    f_mask_d = 32'h0000_FF03;
            3'd1:    f_mask_d = 32'hFFFF_FFFF;
            3'd2:    f_mask_d = 32'hFFFF_FFFF;
            3'd3:    f_mask_d = 32'h00FF_FFFF;
            default: f_mask_d = 32'h0000_FFFF;
        endcase
    end
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

    // Memory windows (docs §6: weight, bias, theta): one host word f_ma, tracked as the host
    // wrote it (f_mv, f_mk: written since reset), and the same lane at the memory port
    // (f_pv: what the SRAM word holds in that lane, any value at power-up, updated by the
    // port's masked writes). Environment: the SRAM returns its lane the cycle after a read.
    (* anyconst *) wire [15:0] f_ma;
    always @(*) assume (f_ma[1:0] == 2'b00 && (f_ma[15:12] == 4'h1 || f_ma[15:12] == 4'h2
                                              || f_ma[15:14] == 2'b01));
    wire       f_is_w = (f_ma[15:14] == 2'b01);
    wire       f_is_b = (f_ma[15:12] == 4'h1);
    wire [2:0] f_ln   = f_ma[4:2];     // bias/theta lane
    wire       f_hf   = f_ma[2];       // weight word half
    wire       f_pce  = f_is_w ? wmem_ce_o : f_is_b ? bmem_ce_o : tmem_ce_o;
    wire       f_pwe  = f_is_w ? wmem_we_o : f_is_b ? bmem_we_o : tmem_we_o;
    wire       f_phit = f_is_w ? (wmem_addr_o == f_ma[13:3])
                      : f_is_b ? (bmem_addr_o == f_ma[11:5]) : (tmem_addr_o == f_ma[11:5]);
    wire [31:0] f_prd = f_is_w ? wmem_rdata_i[32*f_hf +: 32]
                      : f_is_b ? bmem_rdata_i[32*f_ln +: 32] : {16'd0, tmem_rdata_i[16*f_ln +: 16]};
    reg [31:0] f_pv, f_mv;
    reg        f_mk, f_prd_q;
    integer f_b;
    always @(posedge clk) begin
        f_prd_q <= f_pce && !f_pwe && f_phit;
        if (f_pce && f_pwe && f_phit) begin
            if (f_is_w) begin
                for (f_b = 0; f_b < 4; f_b = f_b + 1)
                    if (wmem_wmask_o[4*f_hf + f_b]) f_pv[8*f_b +: 8] <= wmem_wdata_o[32*f_hf + 8*f_b +: 8];
            end else if (f_is_b) begin
                if (bmem_wmask_o[f_ln]) f_pv <= bmem_wdata_o[32*f_ln +: 32];
            end else if (tmem_wmask_o[f_ln]) begin
                f_pv <= {16'd0, tmem_wdata_o[16*f_ln +: 16]};
            end
        end
        if (!rst_n) begin
            f_mk <= 1'b0;
        end else if (psel && penable && pwrite && !pslverr && paddr == f_ma) begin
            f_mk <= 1'b1;
            f_mv <= (f_is_w || f_is_b) ? pwdata : {16'd0, pwdata[15:0]};
        end
    end
    always @(*) if (f_past_q && f_prd_q) assume (f_prd == f_pv);
    always @(*) if (!f_is_w && !f_is_b) assume (f_pv[31:16] == 16'd0);   // a theta lane is 16 bits

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
                ap_apb_desc_readback: assert (prdata == (f_word_q & f_mask_d));
            ap_apb_desc_fields: assert (f_field_ok_d);
            if (f_acc_d && !pwrite && !pslverr && f_desc_d && a[4:2] >= 3'd6)
                ap_apb_desc_reserved: assert (prdata == 32'd0);
            if (f_rst_q) ap_apb_reset: assert (num_layers_o == 0 && !irq_o && desc_o == 0);
            // a memory-window word written by the host is what its memory holds (address,
            // lane, mask and data of the port write), and a read of it returns it
            if (f_mk) ap_apb_mem_write: assert (f_pv == f_mv);
            if (f_acc_d && !pwrite && !pslverr && paddr == f_ma && f_mk)
                ap_apb_mem_readback: assert (prdata == f_mv);
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
        cv_apb_desc_reserved: cover (f_acc_d && !pwrite && !pslverr && f_desc_d && a[4:2] == 3'd7);
        cv_apb_desc_fields: cover (f_k == 6'd11 && f_word_q == 32'h0005_0007);
        cv_apb_reset: cover (f_rst_q && f_nl_q != 0);
        cv_apb_mem_write: cover (f_mk && f_is_w && f_hf && f_mv != 0);
        cv_apb_mem_readback: cover (f_acc_d && !pwrite && !pslverr && paddr == f_ma && f_mk && f_mv[31]
                                    && !f_is_w);
    end
`endif
endmodule

`default_nettype wire
