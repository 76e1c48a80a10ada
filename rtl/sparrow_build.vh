// GENERATED — do not edit; source: interface/sparrow.rdl, interface/sparrow.toml
// regenerate with: make interface (scripts/gen_interface.py)
// Build parameters of SparrowSNN: the defaults of the RTL parameters. Included
// at the top of a file, before the module header.
`ifndef SPARROW_BUILD_VH
`define SPARROW_BUILD_VH
`define SPARROW_LANES 8
`define SPARROW_MAX_LAYERS 8
`define SPARROW_MAX_CH 256
`define SPARROW_MAX_LEN 1024
`define SPARROW_ACT_DEPTH 4096
`define SPARROW_MAX_OUT_F 256
`define SPARROW_MAX_K 32
`define SPARROW_MAX_S 32
`define SPARROW_MAX_P 31
`define SPARROW_CNT_W 8
`define SPARROW_TH_W 16
`define SPARROW_ACC_W 32
`define SPARROW_WMEM_DEPTH 2048
`define SPARROW_BMEM_DEPTH 128
`define SPARROW_MAX_CLASSES 16
`define SPARROW_DESC_W 130
`endif
