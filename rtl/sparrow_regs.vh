// GENERATED — do not edit; source: interface/sparrow.rdl, interface/sparrow.toml
// regenerate with: make interface (scripts/gen_interface.py)
// Host interface constants of SparrowSNN (docs/architecture.md §6). Included
// inside a module body; a module uses the subset it needs, so UNUSEDPARAM is off here
// (in release 5.052 a lint_waivers.vlt -file waiver misses the second module that
// includes this file).
// verilator lint_off UNUSEDPARAM
localparam [31:0] ID_VALUE = 32'h53505257;  // ID register value
localparam [15:0] ADDR_ID = 16'h0000;  // ID
localparam [15:0] ADDR_PARAMS = 16'h0004;  // PARAMS
localparam [15:0] ADDR_CTRL = 16'h0008;  // CTRL
localparam [15:0] ADDR_STATUS = 16'h000C;  // STATUS
localparam [15:0] ADDR_NUM_LAYERS = 16'h0010;  // NUM_LAYERS
localparam [15:0] ADDR_CLASS = 16'h0014;  // CLASS
localparam [15:0] ADDR_IRQ_EN = 16'h0018;  // IRQ_EN
localparam [15:0] ADDR_CNT_CYCLES = 16'h0020;  // CNT_CYCLES
localparam [15:0] ADDR_CNT_WREADS = 16'h0024;  // CNT_WREADS
localparam [15:0] ADDR_CNT_MACS = 16'h0028;  // CNT_MACS
localparam [15:0] ADDR_CNT_SKIPS = 16'h002C;  // CNT_SKIPS
localparam [15:0] ADDR_CNT_LOAD = 16'h0030;  // CNT_LOAD
localparam [15:0] ADDR_LOGIT = 16'h0100;  // LOGIT[0..15]
localparam integer LOGIT_COUNT = 16;  // LOGIT registers
localparam [15:0] ADDR_DESC = 16'h0200;  // descriptor table
localparam integer DESC_STRIDE = 32;  // bytes per layer descriptor
localparam integer DESC_WORDS = 8;  // words per layer descriptor
localparam integer DESC_USED_WORDS = 6;  // words holding fields (rest reserved)
localparam [15:0] ADDR_BIAS = 16'h1000;  // BIAS window
localparam integer BIAS_BYTES = 4096;  // BIAS window size
localparam [15:0] ADDR_THETA = 16'h2000;  // THETA window
localparam integer THETA_BYTES = 4096;  // THETA window size
localparam [15:0] ADDR_WMEM = 16'h4000;  // WMEM window
localparam integer WMEM_BYTES = 16384;  // WMEM window size
localparam integer PARAMS_LANES_LSB = 0;  // PARAMS.lanes
localparam integer PARAMS_LANES_W = 8;
localparam integer PARAMS_MAX_LAYERS_LSB = 8;  // PARAMS.max_layers
localparam integer PARAMS_MAX_LAYERS_W = 8;
localparam integer PARAMS_ACC_W_LSB = 16;  // PARAMS.acc_w
localparam integer PARAMS_ACC_W_W = 8;
localparam integer PARAMS_MAX_CLASSES_LSB = 24;  // PARAMS.max_classes
localparam integer PARAMS_MAX_CLASSES_W = 8;
localparam integer CTRL_START_LSB = 0;  // CTRL.start
localparam integer CTRL_START_W = 1;
localparam integer CTRL_ABORT_LSB = 1;  // CTRL.abort
localparam integer CTRL_ABORT_W = 1;
localparam integer STATUS_BUSY_LSB = 0;  // STATUS.busy
localparam integer STATUS_BUSY_W = 1;
localparam integer STATUS_DONE_LSB = 1;  // STATUS.done
localparam integer STATUS_DONE_W = 1;
localparam integer STATUS_ERROR_LSB = 2;  // STATUS.error
localparam integer STATUS_ERROR_W = 1;
localparam integer STATUS_LOADING_LSB = 3;  // STATUS.loading
localparam integer STATUS_LOADING_W = 1;
localparam integer STATUS_ERR_LAYER_LSB = 8;  // STATUS.err_layer
localparam integer STATUS_ERR_LAYER_W = 4;
localparam integer STATUS_ERR_CODE_LSB = 16;  // STATUS.err_code
localparam integer STATUS_ERR_CODE_W = 8;
localparam integer NUM_LAYERS_NUM_LAYERS_LSB = 0;  // NUM_LAYERS.num_layers
localparam integer NUM_LAYERS_NUM_LAYERS_W = 4;
localparam integer CLASS_CLASS_IDX_LSB = 0;  // CLASS.class_idx
localparam integer CLASS_CLASS_IDX_W = 4;
localparam integer IRQ_EN_EN_LSB = 0;  // IRQ_EN.en
localparam integer IRQ_EN_EN_W = 1;
localparam integer DESC_KIND_WORD = 0;  // descriptor field kind
localparam integer DESC_KIND_LSB = 0;
localparam integer DESC_KIND_W = 1;
localparam integer DESC_KIND_POS = 0;  // position in the packed descriptor
localparam integer DESC_SSF_WORD = 0;  // descriptor field ssf
localparam integer DESC_SSF_LSB = 1;
localparam integer DESC_SSF_W = 1;
localparam integer DESC_SSF_POS = 1;  // position in the packed descriptor
localparam integer DESC_T_WORD = 0;  // descriptor field T
localparam integer DESC_T_LSB = 8;
localparam integer DESC_T_W = 8;
localparam integer DESC_T_POS = 2;  // position in the packed descriptor
localparam integer DESC_CIN_WORD = 1;  // descriptor field Cin
localparam integer DESC_CIN_LSB = 0;
localparam integer DESC_CIN_W = 16;
localparam integer DESC_CIN_POS = 10;  // position in the packed descriptor
localparam integer DESC_LIN_WORD = 1;  // descriptor field Lin
localparam integer DESC_LIN_LSB = 16;
localparam integer DESC_LIN_W = 16;
localparam integer DESC_LIN_POS = 26;  // position in the packed descriptor
localparam integer DESC_COUT_WORD = 2;  // descriptor field Cout
localparam integer DESC_COUT_LSB = 0;
localparam integer DESC_COUT_W = 16;
localparam integer DESC_COUT_POS = 42;  // position in the packed descriptor
localparam integer DESC_LOUT_WORD = 2;  // descriptor field Lout
localparam integer DESC_LOUT_LSB = 16;
localparam integer DESC_LOUT_W = 16;
localparam integer DESC_LOUT_POS = 58;  // position in the packed descriptor
localparam integer DESC_K_WORD = 3;  // descriptor field K
localparam integer DESC_K_LSB = 0;
localparam integer DESC_K_W = 8;
localparam integer DESC_K_POS = 74;  // position in the packed descriptor
localparam integer DESC_S_WORD = 3;  // descriptor field S
localparam integer DESC_S_LSB = 8;
localparam integer DESC_S_W = 8;
localparam integer DESC_S_POS = 82;  // position in the packed descriptor
localparam integer DESC_P_WORD = 3;  // descriptor field P
localparam integer DESC_P_LSB = 16;
localparam integer DESC_P_W = 8;
localparam integer DESC_P_POS = 90;  // position in the packed descriptor
localparam integer DESC_W_BASE_WORD = 4;  // descriptor field w_base
localparam integer DESC_W_BASE_LSB = 0;
localparam integer DESC_W_BASE_W = 16;
localparam integer DESC_W_BASE_POS = 98;  // position in the packed descriptor
localparam integer DESC_B_BASE_WORD = 5;  // descriptor field b_base
localparam integer DESC_B_BASE_LSB = 0;
localparam integer DESC_B_BASE_W = 16;
localparam integer DESC_B_BASE_POS = 114;  // position in the packed descriptor
localparam [7:0] ERR_NUM_LAYERS = 8'h01;  // NUM_LAYERS is 0 or > MAX_LAYERS (reported for layer 0)
localparam [7:0] ERR_SHAPE = 8'h02;  // a channel count or length is 0 or above its limit (dense: F 1..ACT_DEPTH, O 1..MAX_OUT_F, Lin = Lout = 1)
localparam [7:0] ERR_ACT_SIZE = 8'h03;  // C·L of a layer's input or output exceeds ACT_DEPTH
localparam [7:0] ERR_KSP = 8'h04;  // kernel, stride or padding outside its limit (or not 1/1/0 on a dense layer)
localparam [7:0] ERR_LOUT = 8'h05;  // Lout disagrees with the conv1d length formula
localparam [7:0] ERR_CHAIN = 8'h06;  // the layer's input shape differs from the previous layer's output (dense: F ≠ Cout·Lout of the previous layer)
localparam [7:0] ERR_WMEM = 8'h07;  // weight words past WMEM_DEPTH: w_base + G·Cin·K > WMEM_DEPTH
localparam [7:0] ERR_BMEM = 8'h08;  // bias groups past BMEM_DEPTH: b_base + G > BMEM_DEPTH
localparam [7:0] ERR_ACT = 8'h09;  // ssf with T = 0, or `none` on a layer that is not the last
localparam [7:0] ERR_CLASSES = 8'h0A;  // last layer has more than MAX_CLASSES outputs (Cout·Lout)
// verilator lint_on UNUSEDPARAM
`ifndef SPARROW_DESC_MACROS
`define SPARROW_DESC_MACROS
// descriptor fields between a bus word and the packed table entry (see apb_regs.v)
`define SPARROW_DESC_WRITE(fld, word, data) \
    if ((word) == DESC_KIND_WORD[2:0]) fld[DESC_KIND_POS +: DESC_KIND_W] <= data[DESC_KIND_LSB +: DESC_KIND_W]; \
    if ((word) == DESC_SSF_WORD[2:0]) fld[DESC_SSF_POS +: DESC_SSF_W] <= data[DESC_SSF_LSB +: DESC_SSF_W]; \
    if ((word) == DESC_T_WORD[2:0]) fld[DESC_T_POS +: DESC_T_W] <= data[DESC_T_LSB +: DESC_T_W]; \
    if ((word) == DESC_CIN_WORD[2:0]) fld[DESC_CIN_POS +: DESC_CIN_W] <= data[DESC_CIN_LSB +: DESC_CIN_W]; \
    if ((word) == DESC_LIN_WORD[2:0]) fld[DESC_LIN_POS +: DESC_LIN_W] <= data[DESC_LIN_LSB +: DESC_LIN_W]; \
    if ((word) == DESC_COUT_WORD[2:0]) fld[DESC_COUT_POS +: DESC_COUT_W] <= data[DESC_COUT_LSB +: DESC_COUT_W]; \
    if ((word) == DESC_LOUT_WORD[2:0]) fld[DESC_LOUT_POS +: DESC_LOUT_W] <= data[DESC_LOUT_LSB +: DESC_LOUT_W]; \
    if ((word) == DESC_K_WORD[2:0]) fld[DESC_K_POS +: DESC_K_W] <= data[DESC_K_LSB +: DESC_K_W]; \
    if ((word) == DESC_S_WORD[2:0]) fld[DESC_S_POS +: DESC_S_W] <= data[DESC_S_LSB +: DESC_S_W]; \
    if ((word) == DESC_P_WORD[2:0]) fld[DESC_P_POS +: DESC_P_W] <= data[DESC_P_LSB +: DESC_P_W]; \
    if ((word) == DESC_W_BASE_WORD[2:0]) fld[DESC_W_BASE_POS +: DESC_W_BASE_W] <= data[DESC_W_BASE_LSB +: DESC_W_BASE_W]; \
    if ((word) == DESC_B_BASE_WORD[2:0]) fld[DESC_B_BASE_POS +: DESC_B_BASE_W] <= data[DESC_B_BASE_LSB +: DESC_B_BASE_W];
`define SPARROW_DESC_READ(rd, word, fld) \
    if ((word) == DESC_KIND_WORD[2:0]) rd[DESC_KIND_LSB +: DESC_KIND_W] = fld[DESC_KIND_POS +: DESC_KIND_W]; \
    if ((word) == DESC_SSF_WORD[2:0]) rd[DESC_SSF_LSB +: DESC_SSF_W] = fld[DESC_SSF_POS +: DESC_SSF_W]; \
    if ((word) == DESC_T_WORD[2:0]) rd[DESC_T_LSB +: DESC_T_W] = fld[DESC_T_POS +: DESC_T_W]; \
    if ((word) == DESC_CIN_WORD[2:0]) rd[DESC_CIN_LSB +: DESC_CIN_W] = fld[DESC_CIN_POS +: DESC_CIN_W]; \
    if ((word) == DESC_LIN_WORD[2:0]) rd[DESC_LIN_LSB +: DESC_LIN_W] = fld[DESC_LIN_POS +: DESC_LIN_W]; \
    if ((word) == DESC_COUT_WORD[2:0]) rd[DESC_COUT_LSB +: DESC_COUT_W] = fld[DESC_COUT_POS +: DESC_COUT_W]; \
    if ((word) == DESC_LOUT_WORD[2:0]) rd[DESC_LOUT_LSB +: DESC_LOUT_W] = fld[DESC_LOUT_POS +: DESC_LOUT_W]; \
    if ((word) == DESC_K_WORD[2:0]) rd[DESC_K_LSB +: DESC_K_W] = fld[DESC_K_POS +: DESC_K_W]; \
    if ((word) == DESC_S_WORD[2:0]) rd[DESC_S_LSB +: DESC_S_W] = fld[DESC_S_POS +: DESC_S_W]; \
    if ((word) == DESC_P_WORD[2:0]) rd[DESC_P_LSB +: DESC_P_W] = fld[DESC_P_POS +: DESC_P_W]; \
    if ((word) == DESC_W_BASE_WORD[2:0]) rd[DESC_W_BASE_LSB +: DESC_W_BASE_W] = fld[DESC_W_BASE_POS +: DESC_W_BASE_W]; \
    if ((word) == DESC_B_BASE_WORD[2:0]) rd[DESC_B_BASE_LSB +: DESC_B_BASE_W] = fld[DESC_B_BASE_POS +: DESC_B_BASE_W];
`endif
