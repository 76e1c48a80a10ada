// ctrl.v: SparrowSNN controller: descriptor check at start, input-load
// handshake with stream_in, and the layer walker that issues the exact cycle
// schedule of docs/architecture.md §7 (SETUP, then per group, per position:
// INIT, TAP x n(t), DRAIN x 2, FIRE, WRITE x a(g)), with zero skipping and the
// performance counters.
//
// The datapath (mac_array, ssf_fire lanes, argmax, logit registers) lives in
// sparrow_top; this module drives its enables and all memory addresses.
//
// Tap pipeline (per tap issued in a TAP cycle c):
//   c     activation read (act_rd_o, act_rd_addr_o)
//   c+1   activation value on act_rdata_i; non-zero: weight read (wmem_rd_o),
//         zero: counted as a skip, nothing else happens
//   c+2   weight word on the memory's rdata; mac_en_o with mac_x_o = the value
//
// Descriptor check (state CHECK, one cycle per layer, layers in order): the
// first failing rule of the lowest failing layer is reported, codes checked in
// ascending order within a layer (code 1 before any layer). Field positions,
// error codes and the build parameters come from the generated headers
// sparrow_build.vh / sparrow_regs.vh (source: interface/sparrow.rdl, .toml).
`include "sparrow_build.vh"
`default_nettype none

module ctrl #(
    parameter integer LANES       = `SPARROW_LANES,        // output channels per group (fixed)
    parameter integer MAX_LAYERS  = `SPARROW_MAX_LAYERS,   // descriptor table entries (fixed)
    parameter integer DESC_W      = `SPARROW_DESC_W,       // packed descriptor width (fixed)
    parameter integer ACT_DEPTH   = `SPARROW_ACT_DEPTH,    // activation buffer words (fixed)
    parameter integer WMEM_DEPTH  = `SPARROW_WMEM_DEPTH,   // weight memory words (fixed)
    parameter integer BMEM_DEPTH  = `SPARROW_BMEM_DEPTH,   // bias/theta memory groups (fixed)
    parameter integer MAX_CH      = `SPARROW_MAX_CH,       // conv channel limit (1..256)
    parameter integer MAX_LEN     = `SPARROW_MAX_LEN,      // sequence length limit (1..1024)
    parameter integer MAX_K       = `SPARROW_MAX_K,        // kernel limit (1..32)
    parameter integer MAX_S       = `SPARROW_MAX_S,        // stride limit (1..32)
    parameter integer MAX_P       = `SPARROW_MAX_P,        // padding limit (0..31)
    parameter integer MAX_OUT_F   = `SPARROW_MAX_OUT_F,    // dense out_features limit (1..256)
    parameter integer MAX_CLASSES = `SPARROW_MAX_CLASSES   // last-layer outputs limit (1..16)
) (
    input  wire                         clk,            // clock, rising edge
    input  wire                         rst_n,          // synchronous reset, active low
    // host control (apb_regs)
    input  wire                         start_i,        // start (taken only when idle)
    input  wire                         abort_i,        // abort: back to idle at once
    input  wire [3:0]                   num_layers_i,   // NUM_LAYERS
    input  wire [MAX_LAYERS*DESC_W-1:0] desc_i,         // descriptor table (fields, see apb_regs)
    // status
    output wire                         idle_o,         // in IDLE: the host owns the memories
    output wire                         busy_o,         // computing (compute cycles 0 .. cycles-1)
    output wire                         done_o,         // last inference finished
    output wire                         error_o,        // descriptor check failed
    output wire                         loading_o,      // checking descriptors or loading input
    output wire [3:0]                   err_layer_o,    // layer of the error
    output wire [7:0]                   err_code_o,     // error code (docs §6)
    // stream_in
    output wire                         load_arm_o,     // arm the input stream
    output wire [12:0]                  load_count_o,   // bytes to accept: C0*L0
    input  wire                         load_last_i,    // last input byte accepted this cycle
    // activation buffers
    output wire                         act_rd_o,       // read the current input buffer
    output wire                         act_rd_buf_o,   // buffer read (layer mod 2)
    output wire [11:0]                  act_rd_addr_o,  // read address
    input  wire [7:0]                   act_rdata_i,    // read data of buffer act_rd_buf_o
    output wire                         act_wr_o,       // write y[7:0] of lane out_lane_o
    output wire                         act_wr_buf_o,   // buffer written ((layer+1) mod 2)
    output wire [11:0]                  act_wr_addr_o,  // write address (o*Lout + t)
    // weight and bias/theta memories
    output wire                         wmem_rd_o,      // read one weight word
    output wire [10:0]                  wmem_addr_o,    // weight word address
    output wire                         bmem_rd_o,      // read the group's bias and theta words
    output wire [6:0]                   bmem_addr_o,    // group address
    // datapath
    output wire                         mac_clr_o,      // clear the lane sums
    output wire                         mac_en_o,       // accumulate w*x this cycle
    output wire [7:0]                   mac_x_o,        // the activation to accumulate
    output wire [LANES-1:0]             lane_en_o,      // active lanes of the group
    output wire                         fire_valid_o,   // ssf_fire inputs valid (FIRE)
    output wire                         fire_ssf_o,     // layer activation is ssf
    output wire [7:0]                   fire_t_o,       // layer T
    output wire                         res_clr_o,      // new inference: clear logits and argmax
    output wire                         out_valid_o,    // one output written this cycle (trace)
    output wire                         out_logit_o,    // ... into the logit registers (last layer)
    output wire [2:0]                   out_lane_o,     // lane m of the output
    output wire [2:0]                   out_layer_o,    // layer of the output
    output wire [11:0]                  out_index_o,    // o*Lout + t
    // counters (docs §6, §7)
    output wire [31:0]                  cnt_cycles_o,   // compute cycles
    output wire [31:0]                  cnt_wreads_o,   // weight-word reads
    output wire [31:0]                  cnt_macs_o,     // lane MACs
    output wire [31:0]                  cnt_skips_o,    // zero-input taps
    output wire [31:0]                  cnt_load_o      // cycles from start to the last input
);

`include "sparrow_regs.vh"

    // ------------------------------------------------------------------
    // Parameter checks (memory geometries and field widths are fixed)
    // ------------------------------------------------------------------
    generate
        if (LANES != `SPARROW_LANES || LANES != 8) begin : g_bad_lanes
            ctrl_parameter_error_LANES_is_fixed u_param_error ();
        end
        if (MAX_LAYERS != `SPARROW_MAX_LAYERS || MAX_LAYERS != 8) begin : g_bad_layers
            ctrl_parameter_error_MAX_LAYERS_is_fixed u_param_error ();
        end
        if (DESC_W != `SPARROW_DESC_W) begin : g_bad_desc_w
            ctrl_parameter_error_DESC_W_is_fixed u_param_error ();
        end
        if (ACT_DEPTH != `SPARROW_ACT_DEPTH || WMEM_DEPTH != `SPARROW_WMEM_DEPTH
                || BMEM_DEPTH != `SPARROW_BMEM_DEPTH || ACT_DEPTH != 4096 || WMEM_DEPTH != 2048
                || BMEM_DEPTH != 128) begin : g_bad_mem
            ctrl_parameter_error_memory_geometry_is_fixed u_param_error ();
        end
        if (MAX_CH < 1 || MAX_CH > 256 || MAX_LEN < 1 || MAX_LEN > 1024
                || MAX_OUT_F < 1 || MAX_OUT_F > 256) begin : g_bad_shape
            ctrl_parameter_error_MAX_CH_MAX_LEN_MAX_OUT_F_out_of_range u_param_error ();
        end
        if (MAX_K < 1 || MAX_K > 32 || MAX_S < 1 || MAX_S > 32 || MAX_P < 0 || MAX_P > 31)
        begin : g_bad_ksp
            ctrl_parameter_error_MAX_K_MAX_S_MAX_P_out_of_range u_param_error ();
        end
        if (MAX_CLASSES < 1 || MAX_CLASSES > 16) begin : g_bad_classes
            ctrl_parameter_error_MAX_CLASSES_out_of_range u_param_error ();
        end
    endgenerate

    // ------------------------------------------------------------------
    // States
    // ------------------------------------------------------------------
    localparam [3:0] S_IDLE   = 4'd0,
                     S_CHECK  = 4'd1,
                     S_LOAD   = 4'd2,
                     S_SETUP  = 4'd3,
                     S_INIT   = 4'd4,
                     S_TAP    = 4'd5,
                     S_DRAIN1 = 4'd6,
                     S_DRAIN2 = 4'd7,
                     S_FIRE   = 4'd8,
                     S_WRITE  = 4'd9;

    reg [3:0] state_q;
    reg [2:0] layer_q;      // layer being checked (CHECK) or walked (SETUP..WRITE)
    reg       done_q;
    reg       error_q;
    reg [2:0] err_layer_q;
    reg [3:0] err_code_q;
    reg [12:0] in_count_q;  // C0*L0, captured while checking layer 0

    wire compute_d = (state_q == S_SETUP) || (state_q == S_INIT) || (state_q == S_TAP)
                  || (state_q == S_DRAIN1) || (state_q == S_DRAIN2) || (state_q == S_FIRE)
                  || (state_q == S_WRITE);

    // ------------------------------------------------------------------
    // Descriptor of layer_q (fields as packed by apb_regs)
    // ------------------------------------------------------------------
    wire [DESC_W-1:0] dsel_d = desc_i[layer_q*DESC_W +: DESC_W];
    wire        d_kind  = dsel_d[DESC_KIND_POS];
    wire        d_ssf   = dsel_d[DESC_SSF_POS];
    wire [7:0]  d_t     = dsel_d[DESC_T_POS +: DESC_T_W];
    wire [15:0] d_cin   = dsel_d[DESC_CIN_POS +: DESC_CIN_W];
    wire [15:0] d_lin   = dsel_d[DESC_LIN_POS +: DESC_LIN_W];
    wire [15:0] d_cout  = dsel_d[DESC_COUT_POS +: DESC_COUT_W];
    wire [15:0] d_lout  = dsel_d[DESC_LOUT_POS +: DESC_LOUT_W];
    wire [7:0]  d_k     = dsel_d[DESC_K_POS +: DESC_K_W];
    wire [7:0]  d_s     = dsel_d[DESC_S_POS +: DESC_S_W];
    wire [7:0]  d_p     = dsel_d[DESC_P_POS +: DESC_P_W];
    wire [15:0] d_wbase = dsel_d[DESC_W_BASE_POS +: DESC_W_BASE_W];
    wire [15:0] d_bbase = dsel_d[DESC_B_BASE_POS +: DESC_B_BASE_W];

    // ------------------------------------------------------------------
    // Descriptor check of layer_q (combinational). Products use truncated
    // operands: each truncation is exact whenever the lower-numbered rules
    // that bound the operand pass, and those take priority.
    // ------------------------------------------------------------------
    wire       nl_bad_d  = (num_layers_i == 4'd0) || ({28'd0, num_layers_i} > MAX_LAYERS);
    wire       is_last_d = ({1'b0, layer_q} == (num_layers_i - 4'd1));

    wire [23:0] in_size_d  = {11'd0, d_cin[12:0]} * {13'd0, d_lin[10:0]};   // Cin*Lin
    wire [19:0] out_size_d = {11'd0, d_cout[8:0]} * {9'd0, d_lout[10:0]};   // Cout*Lout
    wire [18:0] cin_k_d    = {6'd0, d_cin[12:0]} * {13'd0, d_k[5:0]};       // words per group
    wire [5:0]  groups_d   = d_cout[8:3] + {5'd0, (d_cout[2:0] != 3'd0)};  // ceil(Cout/8)
    wire [24:0] words_d    = {19'd0, groups_d} * {6'd0, cin_k_d};
    wire [25:0] wend_d     = {10'd0, d_wbase} + {1'b0, words_d};
    wire [16:0] bend_d     = {1'b0, d_bbase} + {11'd0, groups_d};
    wire [11:0] span_d     = {1'b0, d_lin[10:0]} + {6'd0, d_p[4:0], 1'b0};   // Lin + 2P
    wire [10:0] lout_m1_d  = d_lout[10:0] - 11'd1;
    wire [16:0] lo_end_d   = {6'd0, lout_m1_d} * {11'd0, d_s[5:0]};         // (Lout-1)*S
    wire [17:0] first_d    = {1'b0, lo_end_d} + {12'd0, d_k[5:0]};          // (Lout-1)*S + K
    wire [17:0] next_d     = first_d + {12'd0, d_s[5:0]};                   // Lout*S + K

    reg  [8:0]  prev_cout_q;   // previous layer's output shape
    reg  [10:0] prev_lout_q;
    reg  [12:0] prev_size_q;

    wire bad2_d = d_kind
        ? ((d_cin == 16'd0) || ({16'd0, d_cin} > ACT_DEPTH) || (d_cout == 16'd0)
           || ({16'd0, d_cout} > MAX_OUT_F) || (d_lin != 16'd1) || (d_lout != 16'd1))
        : ((d_cin == 16'd0) || ({16'd0, d_cin} > MAX_CH) || (d_cout == 16'd0)
           || ({16'd0, d_cout} > MAX_CH) || (d_lin == 16'd0) || ({16'd0, d_lin} > MAX_LEN)
           || (d_lout == 16'd0) || ({16'd0, d_lout} > MAX_LEN));
    wire bad3_d = ({8'd0, in_size_d} > ACT_DEPTH) || ({12'd0, out_size_d} > ACT_DEPTH);
    wire bad4_d = d_kind
        ? ((d_k != 8'd1) || (d_s != 8'd1) || (d_p != 8'd0))
        : ((d_k == 8'd0) || ({24'd0, d_k} > MAX_K) || (d_s == 8'd0) || ({24'd0, d_s} > MAX_S)
           || ({24'd0, d_p} > MAX_P));
    wire bad5_d = (first_d > {6'd0, span_d}) || (next_d <= {6'd0, span_d});
    wire bad6_d = (layer_q != 3'd0) &&
        (d_kind ? (d_cin != {3'd0, prev_size_q})
                : ((d_cin != {7'd0, prev_cout_q}) || (d_lin != {5'd0, prev_lout_q})));
`ifdef FORMAL_MUTANT_CTRL_CODE7
    wire bad7_d = ({6'd0, wend_d} >= WMEM_DEPTH);  // mutant: a table ending at the last word refused
`else
    wire bad7_d = ({6'd0, wend_d} > WMEM_DEPTH);
`endif
    wire bad8_d = ({15'd0, bend_d} > BMEM_DEPTH);
    wire bad9_d = (d_ssf && (d_t == 8'd0)) || (!d_ssf && !is_last_d);
    wire bad10_d = is_last_d && ({12'd0, out_size_d} > MAX_CLASSES);

    reg [3:0] code_d;
    always @(*) begin
        if (nl_bad_d)     code_d = ERR_NUM_LAYERS[3:0];
        else if (bad2_d)  code_d = ERR_SHAPE[3:0];
        else if (bad3_d)  code_d = ERR_ACT_SIZE[3:0];
        else if (bad4_d)  code_d = ERR_KSP[3:0];
        else if (bad5_d)  code_d = ERR_LOUT[3:0];
        else if (bad6_d)  code_d = ERR_CHAIN[3:0];
        else if (bad7_d)  code_d = ERR_WMEM[3:0];
        else if (bad8_d)  code_d = ERR_BMEM[3:0];
        else if (bad9_d)  code_d = ERR_ACT[3:0];
        else if (bad10_d) code_d = ERR_CLASSES[3:0];
        else              code_d = 4'd0;
    end

    // ------------------------------------------------------------------
    // Layer registers (latched in SETUP)
    // ------------------------------------------------------------------
    reg        l_ssf_q;
    reg [7:0]  l_t_q;
    reg [12:0] l_cin_q;
    reg [10:0] l_lin_q;
    reg [8:0]  l_cout_q;
    reg [10:0] l_lout_q;
    reg [5:0]  l_k_q;
    reg [5:0]  l_s_q;
    reg [4:0]  l_p_q;
    reg [11:0] l_cink_q;    // Cin*K: weight words per group (<= 2048)
    reg        l_last_q;    // last layer: outputs go to the logit registers

    // walker
    reg [8:0]  ch_base_q;   // 8g: first output channel of the group
    reg [6:0]  b_addr_q;    // b_base + g
    reg [13:0] ob_q;        // 8g*Lout: output address of (8g, 0)
    reg [11:0] w_grp_q;     // w_base + g*Cin*K
    reg [10:0] t_q;         // output position
    reg signed [12:0] pos_q;   // t*S - P
    reg [12:0] i_q;         // input channel (dense: feature) of the current tap
    reg [5:0]  kc_q;        // kernel offset of the current tap
    reg [12:0] act_row_q;   // i*Lin
    reg [11:0] w_row_q;     // w_base + (g*Cin + i)*K
    reg [2:0]  m_q;         // lane written in WRITE
    reg [13:0] wr_addr_q;   // (8g + m)*Lout + t

    // tap pipeline
    reg        p1_v_q;      // activation read issued last cycle
    reg [10:0] p1_w_q;      // its weight word address
    reg        p2_v_q;      // weight read issued last cycle
    reg [7:0]  p2_x_q;      // its activation

    // counters
    reg [31:0] cnt_cycles_q, cnt_wreads_q, cnt_macs_q, cnt_skips_q, cnt_load_q;

    // ------------------------------------------------------------------
    // Group and position geometry
    // ------------------------------------------------------------------
    wire [8:0] rem_ch_d  = l_cout_q - ch_base_q;                     // Cout - 8g (>= 1)
    wire [3:0] act_ln_d  = (rem_ch_d >= 9'd8) ? 4'd8 : rem_ch_d[3:0];  // a(g)
    wire       last_grp_d = (rem_ch_d <= 9'd8);
    wire       last_t_d  = (t_q == l_lout_q - 11'd1);
`ifdef FORMAL_MUTANT_CTRL_SKIP_WRITE
    wire       last_m_d  = ({1'b0, m_q} + 4'd2 >= act_ln_d);  // mutant: a block's last WRITE skipped
`else
    wire       last_m_d  = ({1'b0, m_q} == act_ln_d - 4'd1);
`endif
    wire       last_i_d  = (i_q == l_cin_q - 13'd1);

    genvar m;
    generate
        for (m = 0; m < LANES; m = m + 1) begin : g_lane_en
            localparam [3:0] LANE_M = m;
            assign lane_en_o[m] = (LANE_M < act_ln_d);
        end
    endgenerate

    // valid kernel offsets at this position: k_lo .. k_hi (none when k_lo > k_hi)
    wire signed [14:0] pos_s_d  = {{2{pos_q[12]}}, pos_q};
    wire signed [14:0] klo_s_d  = pos_q[12] ? -pos_s_d : 15'sd0;
    wire signed [14:0] room_s_d = $signed({4'd0, l_lin_q}) - 15'sd1 - pos_s_d;   // Lin-1-pos
    wire signed [14:0] kmax_s_d = $signed({9'd0, l_k_q}) - 15'sd1;               // K-1
    wire signed [14:0] khi_s_d  = (room_s_d < kmax_s_d) ? room_s_d : kmax_s_d;
    wire               taps_d   = (klo_s_d <= khi_s_d);
    wire [5:0]         klo_d    = klo_s_d[5:0];
    wire [5:0]         khi_d    = khi_s_d[5:0];
    wire               last_k_d = (kc_q == khi_d);

    wire signed [14:0] act_addr_s_d = $signed({2'd0, act_row_q}) + pos_s_d
                                    + $signed({9'd0, kc_q});
    wire [11:0]        w_addr_d     = w_row_q + {6'd0, kc_q};
    wire               _unused_ok   = &{1'b0, act_addr_s_d[14:12], w_addr_d[11]};

    // ------------------------------------------------------------------
    // Control FSM and walker
    // ------------------------------------------------------------------
    wire start_go_d = (state_q == S_IDLE) && start_i;
    wire check_ok_d = (code_d == 4'd0);
    wire check_end_d = (state_q == S_CHECK) && check_ok_d && is_last_d;
    wire x_nz_d = (act_rdata_i != 8'd0);

    always @(posedge clk) begin
        if (!rst_n || abort_i) begin
            state_q     <= S_IDLE;
            layer_q     <= 3'd0;
            done_q      <= 1'b0;
            error_q     <= 1'b0;
            err_layer_q <= 3'd0;
            err_code_q  <= 4'd0;
            p1_v_q      <= 1'b0;
            p2_v_q      <= 1'b0;
        end else begin
            p1_v_q <= (state_q == S_TAP);
`ifdef FORMAL_MUTANT_CTRL_P2_UNQUALIFIED
            p2_v_q <= x_nz_d;   // mutant: the read data's zero test not qualified by p1_v_q
`else
            p2_v_q <= p1_v_q && x_nz_d;
`endif
            case (state_q)
                S_IDLE: begin
                    if (start_i) begin
                        state_q     <= S_CHECK;
                        layer_q     <= 3'd0;
                        done_q      <= 1'b0;
                        error_q     <= 1'b0;
                        err_layer_q <= 3'd0;
                        err_code_q  <= 4'd0;
                    end
                end
                S_CHECK: begin
                    if (!check_ok_d) begin
                        state_q     <= S_IDLE;
                        error_q     <= 1'b1;
                        err_layer_q <= nl_bad_d ? 3'd0 : layer_q;
                        err_code_q  <= code_d;
                        layer_q     <= 3'd0;
                    end else if (is_last_d) begin
                        state_q <= S_LOAD;
                        layer_q <= 3'd0;
                    end else begin
                        layer_q <= layer_q + 3'd1;
                    end
                end
                S_LOAD: begin
                    if (load_last_i) begin
                        state_q <= S_SETUP;
                    end
                end
                S_SETUP: begin
                    state_q <= S_INIT;
                end
                S_INIT: begin
`ifdef FORMAL_MUTANT_CTRL_HANG
                    state_q <= taps_d ? S_TAP : S_INIT;  // mutant: a position without taps hangs
`else
                    state_q <= taps_d ? S_TAP : S_DRAIN1;
`endif
                end
                S_TAP: begin
                    if (last_k_d && last_i_d) begin
                        state_q <= S_DRAIN1;
                    end
                end
`ifdef FORMAL_MUTANT_CTRL_EXTRA_DRAIN
                S_DRAIN1: state_q <= p1_v_q ? S_DRAIN1 : S_DRAIN2;  // mutant: one more DRAIN after taps
`else
                S_DRAIN1: state_q <= S_DRAIN2;
`endif
                S_DRAIN2: state_q <= S_FIRE;
                S_FIRE:   state_q <= S_WRITE;
                S_WRITE: begin
                    if (last_m_d) begin
                        if (last_t_d && last_grp_d) begin
                            if (l_last_q) begin
                                state_q <= S_IDLE;
                                done_q  <= 1'b1;
                                layer_q <= 3'd0;
                            end else begin
                                state_q <= S_SETUP;
                                layer_q <= layer_q + 3'd1;
                            end
                        end else begin
                            state_q <= S_INIT;
                        end
                    end
                end
                default: state_q <= S_IDLE;
            endcase
        end
    end

    // data registers: no reset needed for function, reset anyway (no X anywhere)
    always @(posedge clk) begin
        if (!rst_n) begin
            in_count_q  <= 13'd0;
            prev_cout_q <= 9'd0;
            prev_lout_q <= 11'd0;
            prev_size_q <= 13'd0;
            l_ssf_q     <= 1'b0;
            l_t_q       <= 8'd0;
            l_cin_q     <= 13'd0;
            l_lin_q     <= 11'd0;
            l_cout_q    <= 9'd0;
            l_lout_q    <= 11'd0;
            l_k_q       <= 6'd0;
            l_s_q       <= 6'd0;
            l_p_q       <= 5'd0;
            l_cink_q    <= 12'd0;
            l_last_q    <= 1'b0;
            ch_base_q   <= 9'd0;
            b_addr_q    <= 7'd0;
            ob_q        <= 14'd0;
            w_grp_q     <= 12'd0;
            t_q         <= 11'd0;
            pos_q       <= 13'sd0;
            i_q         <= 13'd0;
            kc_q        <= 6'd0;
            act_row_q   <= 13'd0;
            w_row_q     <= 12'd0;
            m_q         <= 3'd0;
            wr_addr_q   <= 14'd0;
            p1_w_q      <= 11'd0;
            p2_x_q      <= 8'd0;
        end else begin
            p1_w_q <= w_addr_d[10:0];
            p2_x_q <= act_rdata_i;
            case (state_q)
                S_CHECK: begin
                    prev_cout_q <= d_cout[8:0];
                    prev_lout_q <= d_lout[10:0];
                    prev_size_q <= out_size_d[12:0];
                    if (layer_q == 3'd0) begin
                        in_count_q <= in_size_d[12:0];
                    end
                end
                S_SETUP: begin
                    l_ssf_q   <= d_ssf;
                    l_t_q     <= d_t;
                    l_cin_q   <= d_cin[12:0];
                    l_lin_q   <= d_lin[10:0];
                    l_cout_q  <= d_cout[8:0];
                    l_lout_q  <= d_lout[10:0];
                    l_k_q     <= d_k[5:0];
                    l_s_q     <= d_s[5:0];
                    l_p_q     <= d_p[4:0];
                    l_cink_q  <= cin_k_d[11:0];
                    l_last_q  <= is_last_d;
                    ch_base_q <= 9'd0;
                    b_addr_q  <= d_bbase[6:0];
                    ob_q      <= 14'd0;
                    w_grp_q   <= d_wbase[11:0];
                    w_row_q   <= d_wbase[11:0];
                    t_q       <= 11'd0;
                    pos_q     <= -$signed({8'd0, d_p[4:0]});
                    i_q       <= 13'd0;
                    act_row_q <= 13'd0;
                end
                S_INIT: begin
                    kc_q <= klo_d;
                end
                S_TAP: begin
                    if (last_k_d) begin
                        kc_q      <= klo_d;
                        i_q       <= i_q + 13'd1;
                        act_row_q <= act_row_q + {2'd0, l_lin_q};
                        w_row_q   <= w_row_q + {6'd0, l_k_q};
                    end else begin
                        kc_q <= kc_q + 6'd1;
                    end
                end
                S_FIRE: begin
                    m_q       <= 3'd0;
                    wr_addr_q <= ob_q + {3'd0, t_q};
                end
                S_WRITE: begin
                    m_q       <= m_q + 3'd1;
                    wr_addr_q <= wr_addr_q + {3'd0, l_lout_q};
                    if (last_m_d) begin
                        i_q       <= 13'd0;
                        act_row_q <= 13'd0;
                        if (last_t_d) begin
                            // next group (ignored when the layer ends)
                            ch_base_q <= ch_base_q + 9'd8;
                            b_addr_q  <= b_addr_q + 7'd1;
                            ob_q      <= ob_q + {l_lout_q, 3'd0};
                            w_grp_q   <= w_grp_q + l_cink_q;
                            w_row_q   <= w_grp_q + l_cink_q;
                            t_q       <= 11'd0;
                            pos_q     <= -$signed({8'd0, l_p_q});
                        end else begin
                            w_row_q <= w_grp_q;
                            t_q     <= t_q + 11'd1;
                            pos_q   <= pos_q + $signed({7'd0, l_s_q});
                        end
                    end
                end
                default: ;
            endcase
        end
    end

    // counters: cleared when a start is taken, then counting until the next one
    always @(posedge clk) begin
        if (!rst_n || start_go_d) begin
            cnt_cycles_q <= 32'd0;
            cnt_wreads_q <= 32'd0;
            cnt_macs_q   <= 32'd0;
            cnt_skips_q  <= 32'd0;
            cnt_load_q   <= 32'd0;
        end else begin
            if (compute_d) begin
                cnt_cycles_q <= cnt_cycles_q + 32'd1;
            end
            if ((state_q == S_CHECK) || (state_q == S_LOAD)) begin
                cnt_load_q <= cnt_load_q + 32'd1;
            end
            if (p1_v_q && compute_d) begin
                if (x_nz_d) begin
                    cnt_wreads_q <= cnt_wreads_q + 32'd1;
                    cnt_macs_q   <= cnt_macs_q + {28'd0, act_ln_d};
                end else begin
                    cnt_skips_q <= cnt_skips_q + 32'd1;
                end
            end
        end
    end

    // ------------------------------------------------------------------
    // Outputs
    // ------------------------------------------------------------------
    assign idle_o      = (state_q == S_IDLE);
    assign busy_o      = compute_d;
    assign done_o      = done_q;
    assign error_o     = error_q;
    assign loading_o   = (state_q == S_CHECK) || (state_q == S_LOAD);
    assign err_layer_o = {1'b0, err_layer_q};
    assign err_code_o  = {4'd0, err_code_q};

    assign load_arm_o   = check_end_d;
    assign load_count_o = (layer_q == 3'd0) ? in_size_d[12:0] : in_count_q;

    assign act_rd_o      = (state_q == S_TAP);
    assign act_rd_buf_o  = layer_q[0];
    assign act_rd_addr_o = act_addr_s_d[11:0];
    assign act_wr_o      = (state_q == S_WRITE) && !l_last_q;
    assign act_wr_buf_o  = !layer_q[0];
    assign act_wr_addr_o = wr_addr_q[11:0];

`ifdef FORMAL_MUTANT_CTRL_ZERO_SKIP
    assign wmem_rd_o   = p1_v_q;  // mutant: zero inputs read their weight word too
`else
    assign wmem_rd_o   = p1_v_q && x_nz_d;
`endif
    assign wmem_addr_o = p1_w_q;
    assign bmem_rd_o   = (state_q == S_INIT);
    assign bmem_addr_o = b_addr_q;

    assign mac_clr_o    = (state_q == S_INIT);
    assign mac_en_o     = p2_v_q;
    assign mac_x_o      = p2_x_q;
    assign fire_valid_o = (state_q == S_FIRE);
    assign fire_ssf_o   = l_ssf_q;
    assign fire_t_o     = l_t_q;
    assign res_clr_o    = start_go_d;

    assign out_valid_o = (state_q == S_WRITE);
    assign out_logit_o = (state_q == S_WRITE) && l_last_q;
    assign out_lane_o  = m_q;
    assign out_layer_o = layer_q;
    assign out_index_o = wr_addr_q[11:0];

    assign cnt_cycles_o = cnt_cycles_q;
    assign cnt_wreads_o = cnt_wreads_q;
    assign cnt_macs_o   = cnt_macs_q;
    assign cnt_skips_o  = cnt_skips_q;
    assign cnt_load_o   = cnt_load_q;

`ifdef FORMAL
    // ------------------------------------------------------------------
    // Formal properties (docs/formal.md, formal/ctrl.sby). Environment: the
    // descriptor table and NUM_LAYERS do not change while the core is not
    // idle (apb_regs refuses those writes: proven there).
    // ------------------------------------------------------------------
    reg f_past_q = 1'b0;
    always @(posedge clk) f_past_q <= 1'b1;
    always @(*) if (!f_past_q) assume (!rst_n);

    reg [3:0]                   f_nl_q;
    reg [MAX_LAYERS*DESC_W-1:0] f_desc_q;
    reg                         f_stop_q, f_go_q, f_idle_q, f_bad_q, f_pass_q, f_load_q;
    reg                         f_done_q, f_error_q, f_fire_q, f_write_q;
    reg [3:0]                   f_code_q;
    reg [2:0]                   f_layer_q;
    always @(posedge clk) begin
        f_nl_q    <= num_layers_i;
        f_desc_q  <= desc_i;
        f_stop_q  <= !rst_n || abort_i;
        f_go_q    <= rst_n && !abort_i && idle_o && start_i;
        f_idle_q  <= rst_n && !abort_i && idle_o && !start_i;
        f_bad_q   <= rst_n && !abort_i && state_q == S_CHECK && code_d != 4'd0;
        f_pass_q  <= rst_n && !abort_i && state_q == S_CHECK && code_d == 4'd0 && is_last_d;
        f_load_q  <= rst_n && !abort_i && state_q == S_LOAD && !load_last_i;
        f_code_q  <= code_d;
        f_layer_q <= (code_d == 4'd1) ? 3'd0 : layer_q;
        f_done_q  <= done_o;
        f_error_q <= error_o;
        f_fire_q  <= fire_valid_o;
        f_write_q <= out_valid_o;
    end
    always @(*) if (f_past_q && !idle_o) assume (num_layers_i == f_nl_q && desc_i == f_desc_q);

    // docs §6 error codes restated for the layer being checked. The products are the RTL's
    // (in_size_d, out_size_d, lo_end_d, words_d: a SAT solver cannot afford a second multiplier
    // to compare against); ap_ctrl_check_operands proves their operand truncations lossless
    // whenever a rule reads them, so these are the exact integer products there.
    wire [DESC_W-1:0] f_pd_d = desc_i[(layer_q - 3'd1)*DESC_W +: DESC_W];   // previous layer
    wire [31:0] m_cin   = {16'd0, d_cin},  m_lin  = {16'd0, d_lin};
    wire [31:0] m_cout  = {16'd0, d_cout}, m_lout = {16'd0, d_lout};
    wire [31:0] m_k     = {24'd0, d_k},    m_s    = {24'd0, d_s},   m_p = {24'd0, d_p};
    // the previous layer's output shape (it passed its check: Cout <= 256, Lout <= 1024)
    wire [31:0] m_pcout = {23'd0, prev_cout_q}, m_plout = {21'd0, prev_lout_q};
    wire [31:0] m_groups = (m_cout + 32'd7) >> 3;                        // ceil(Cout / 8)
    wire [31:0] m_span   = m_lin + m_p + m_p;                            // Lin + 2P
    wire [31:0] m_t      = {15'd0, lo_end_d};                            // (Lout - 1) * S
    wire        m_last   = ({1'b0, layer_q} + 4'd1 == num_layers_i);
    wire m1  = num_layers_i == 4'd0 || num_layers_i > 4'd8;
    wire m2  = d_kind ? (m_cin < 1 || m_cin > 4096 || m_cout < 1 || m_cout > 256 || m_lin != 1 || m_lout != 1)
                      : (m_cin < 1 || m_cin > 256 || m_cout < 1 || m_cout > 256
                         || m_lin < 1 || m_lin > 1024 || m_lout < 1 || m_lout > 1024);
    wire m3  = {8'd0, in_size_d} > 32'd4096 || {12'd0, out_size_d} > 32'd4096;
    wire m4  = d_kind ? (m_k != 1 || m_s != 1 || m_p != 0)
                      : (m_k < 1 || m_k > 32 || m_s < 1 || m_s > 32 || m_p > 31);
    // Lout = floor((Lin + 2P - K) / S) + 1  <=>  (Lout-1)*S + K <= Lin + 2P < (Lout-1)*S + S + K
    wire m5  = m_t + m_k > m_span || m_t + m_s + m_k <= m_span;
    wire m6  = layer_q != 3'd0 && (d_kind ? m_cin != {19'd0, prev_size_q} : (m_cin != m_pcout || m_lin != m_plout));
    wire m7  = {16'd0, d_wbase} + {7'd0, words_d} > 32'd2048;          // w_base + G*Cin*K
    wire m8  = {16'd0, d_bbase} + m_groups > 32'd128;
    wire m9  = (d_ssf && d_t == 8'd0) || (!d_ssf && !m_last);
    wire m10 = m_last && {12'd0, out_size_d} > 32'd16;
    // the truncated product operands lose nothing where the rules read them
    wire m_ops_ok = (m1 || m2 || (d_cin[15:13] == 0 && d_lin[15:11] == 0 && d_cout[15:9] == 0
                                  && d_lout[15:11] == 0 && m_groups == {26'd0, groups_d}))
                 && (m1 || m2 || m3 || m4 || (d_k[7:6] == 0 && d_s[7:6] == 0 && d_p[7:5] == 0
                                              && {21'd0, lout_m1_d} == m_lout - 32'd1));
    wire [3:0] m_code = m1 ? 4'd1 : m2 ? 4'd2 : m3 ? 4'd3 : m4 ? 4'd4 : m5 ? 4'd5 : m6 ? 4'd6
                      : m7 ? 4'd7 : m8 ? 4'd8 : m9 ? 4'd9 : m10 ? 4'd10 : 4'd0;

    always @(*) begin
        if (f_past_q) begin
            ap_ctrl_state_legal: assert (state_q <= S_WRITE);
            if (f_stop_q) ap_ctrl_abort: assert (idle_o && !busy_o && !loading_o && !done_o && !error_o
                                                 && !out_valid_o && !mac_en_o && !wmem_rd_o);
            if (f_go_q) ap_ctrl_start: assert (state_q == S_CHECK && layer_q == 0 && !done_o && !error_o
                                               && cnt_cycles_o == 0 && cnt_load_o == 0 && cnt_macs_o == 0);
            if (state_q == S_CHECK) ap_ctrl_check_code: assert (code_d == m_code);
            if (state_q == S_CHECK) ap_ctrl_check_operands: assert (m_ops_ok);
            if (state_q == S_CHECK && layer_q != 3'd0)
                ap_ctrl_prev_shape: assert (prev_cout_q == f_pd_d[50:42] && prev_lout_q == f_pd_d[68:58]
                                            && {19'd0, prev_size_q} == {16'd0, f_pd_d[57:42]} * {16'd0, f_pd_d[73:58]});
            if (!idle_o) ap_ctrl_run_clear: assert (!done_o && !error_o);
            if (state_q == S_CHECK) ap_ctrl_check_layer: assert ({1'b0, layer_q} < num_layers_i || layer_q == 0);
            if (f_bad_q) ap_ctrl_check_error: assert (idle_o && error_o && !done_o && err_code_o == {4'd0, f_code_q}
                                                      && err_layer_o == {1'b0, f_layer_q});
            if (f_pass_q) ap_ctrl_check_pass: assert (state_q == S_LOAD && !error_o);
            ap_ctrl_arm: assert (load_arm_o == (state_q == S_CHECK && code_d == 4'd0 && is_last_d));
            if (f_load_q) ap_ctrl_load_wait: assert (state_q == S_LOAD && loading_o);
            if (f_idle_q) ap_ctrl_idle_hold: assert (idle_o && done_o == f_done_q && error_o == f_error_q);
            ap_ctrl_status: assert ((idle_o + busy_o + loading_o) == 2'd1);
            if (out_valid_o) ap_ctrl_write_after_fire: assert (f_fire_q || f_write_q);
        end
        if (wmem_rd_o) ap_ctrl_zero_weight: assert (act_rdata_i != 8'd0);
        if (f_past_q && mac_en_o) ap_ctrl_zero_mac: assert (mac_x_o != 8'd0);
    end
    always @(*) if (f_past_q) begin
        cv_ctrl_state_legal: cover (state_q == S_WRITE && l_last_q);
        cv_ctrl_abort: cover (abort_i && rst_n && state_q == S_LOAD);
        cv_ctrl_start: cover (f_go_q && f_done_q);
        cv_ctrl_check_code: cover (state_q == S_CHECK && layer_q == 3'd1 && code_d == 4'd6);
        cv_ctrl_prev_shape: cover (state_q == S_CHECK && layer_q == 3'd1 && prev_size_q == 13'd12);
        cv_ctrl_run_clear: cover (busy_o && f_done_q == 1'b0 && cnt_cycles_o == 32'd3);
        cv_ctrl_check_operands: cover (state_q == S_CHECK && code_d == 4'd7 && d_cin == 16'd256 && d_k == 8'd32);
        cv_ctrl_check_layer: cover (state_q == S_CHECK && layer_q == 3'd2);
        cv_ctrl_check_error: cover (f_bad_q && f_code_q == 4'd7);
        cv_ctrl_check_pass: cover (f_pass_q && f_layer_q == 3'd1);
        cv_ctrl_arm: cover (load_arm_o);
        cv_ctrl_load_wait: cover (f_load_q);
        cv_ctrl_idle_hold: cover (f_idle_q && error_o);
        cv_ctrl_status: cover (busy_o);
        cv_ctrl_write_after_fire: cover (out_valid_o && f_write_q);
        cv_ctrl_zero_weight: cover (wmem_rd_o);
        cv_ctrl_zero_mac: cover (mac_en_o);
    end

    // No-X proof (formal/top_nox.sv): registers that may hold a don't-care value are
    // compared only where they are used. p2_x_q takes the activation read data in every
    // cycle (an SRAM read register, unknown until the first read); it is used only with p2_v_q.
    (* keep *) wire [7:0] f_nox_p2_x = p2_v_q ? p2_x_q : 8'd0;

`ifdef FORMAL_CTRL_SCHED
    // ------------------------------------------------------------------
    // Schedule and bounded response (formal/ctrl_sched.sby, docs/formal.md).
    // Environment: a legal descriptor table of a small family (every field free in its
    // range below, f_table_ok), and an input stream that delivers the last byte within
    // f_dly * C0*L0 LOAD cycles (f_dly a free constant 1..3: one byte within f_dly cycles).
    // Expected busy cycles: the formula of docs §7 / golden/timing.py, restated here from
    // the descriptor fields alone: cycles = sum over the layers of
    // C = 1 + G * sum_t (4 + n(t)) + Cout * Lout, G = ceil(Cout/8),
    // n(t) = Cin * |{k < K : 0 <= t*S + k - P < Lin}|.
    // The formula is evaluated when the last input byte is taken and its parts are kept in
    // f*_q registers (a solver cannot afford to compare two copies of it across cycles);
    // the helpers ap_ctrl_sched_table relate the kept parts to each other and to the table.
    // ------------------------------------------------------------------
    localparam integer F_NL   = 2;    // NUM_LAYERS 1..F_NL
    localparam integer F_LMAX = 4;    // conv Lin, Lout 1..F_LMAX
    localparam integer F_KMAX = 3;    // conv K 1..F_KMAX, S 1..2, P 0..2
    localparam integer F_CMAX = 10;   // Cout 1..F_CMAX (one or two groups)
    localparam integer F_NT   = F_NL * F_LMAX;
    localparam [11:0]  F_SAT  = 12'hfff;

    wire [F_NL-1:0]        fl_legal;
    wire [F_NL*16-1:0]     fl_cin, fl_lin, fl_cout, fl_lout;
    wire [F_NL*8-1:0]      fl_k, fl_s, fl_p;
    wire [F_NT*2-1:0]      fl_nk, fl_klo;   // per (layer, t): taps of one channel, offsets in the left padding
    wire [F_NT*8-1:0]      fl_n;            // n(t)
    wire [F_NL*5*12-1:0]   fl_pre;          // per layer, t = 0..4: sum over t' < min(t, Lout) of (4 + n(t'))
    wire [F_NL*12-1:0]     fl_c;            // C of each layer
    genvar fj, ft;
    generate
        for (fj = 0; fj < F_NL; fj = fj + 1) begin : g_f_layer
            wire [DESC_W-1:0] d  = desc_i[fj*DESC_W +: DESC_W];
            wire [DESC_W-1:0] dp = desc_i[((fj == 0) ? 0 : fj - 1)*DESC_W +: DESC_W];
            wire        kind  = d[DESC_KIND_POS];
            wire        ssf   = d[DESC_SSF_POS];
            wire [7:0]  tl    = d[DESC_T_POS +: 8];
            wire [15:0] cin   = d[DESC_CIN_POS +: 16];
            wire [15:0] lin   = d[DESC_LIN_POS +: 16];
            wire [15:0] cout  = d[DESC_COUT_POS +: 16];
            wire [15:0] lout  = d[DESC_LOUT_POS +: 16];
            wire [7:0]  k     = d[DESC_K_POS +: 8];
            wire [7:0]  s     = d[DESC_S_POS +: 8];
            wire [7:0]  p     = d[DESC_P_POS +: 8];
            wire [15:0] wb    = d[DESC_W_BASE_POS +: 16];
            wire [15:0] bb    = d[DESC_B_BASE_POS +: 16];
            wire [15:0] pcout = dp[DESC_COUT_POS +: 16];
            wire [15:0] plout = dp[DESC_LOUT_POS +: 16];
            wire        last  = (fj + 1 == num_layers_i);
            // legal (docs §6) and inside the family
            wire conv_ok = cin >= 1 && cin <= ((fj == 0) ? 2 : F_CMAX) && lin >= 1 && lin <= F_LMAX
                && k >= 1 && k <= F_KMAX && s >= 1 && s <= 2 && p <= 2 && lout >= 1 && lout <= F_LMAX
                && (lout - 1) * s + k <= lin + 2 * p && lin + 2 * p < lout * s + k;
            wire dense_ok = cin >= 1 && cin <= ((fj == 0) ? 4 : 4 * F_CMAX) && lin == 1 && lout == 1
                && k == 1 && s == 1 && p == 0;
            wire chain_ok = (fj == 0) || (kind ? cin == pcout * plout : (cin == pcout && lin == plout));
            assign fl_legal[fj] = (kind ? dense_ok : conv_ok) && cout >= 1 && cout <= F_CMAX && chain_ok
                && (last || ssf) && (!ssf || tl != 0) && wb <= 1024 && bb <= 64
                && (!last || cout * lout <= 16);
            assign fl_cin[fj*16 +: 16]  = cin;
            assign fl_lin[fj*16 +: 16]  = lin;
            assign fl_cout[fj*16 +: 16] = cout;
            assign fl_lout[fj*16 +: 16] = lout;
            assign fl_k[fj*8 +: 8] = k;
            assign fl_s[fj*8 +: 8] = s;
            assign fl_p[fj*8 +: 8] = p;
            // fields narrowed to the family's ranges below (lossless where f_table_ok holds)
            assign fl_pre[(fj*5)*12 +: 12] = 12'd0;
            for (ft = 0; ft < F_LMAX; ft = ft + 1) begin : g_f_pos
                reg [1:0] nk, klo;
                always @(*) begin : f_taps
                    integer ki;
                    reg [3:0] tk;                  // t*S + k
                    nk  = 2'd0;
                    klo = 2'd0;
                    tk  = ft * s[1:0];
                    for (ki = 0; ki < F_KMAX; ki = ki + 1) begin
                        if (ki < k[1:0] && tk >= {2'd0, p[1:0]} && tk < {1'b0, lin[2:0]} + {2'd0, p[1:0]})
                            nk = nk + 2'd1;
                        if (ki < k[1:0] && tk < {2'd0, p[1:0]}) klo = klo + 2'd1;
                        tk = tk + 4'd1;
                    end
                end
                wire [7:0] n = cin[5:0] * nk;
                assign fl_nk[(fj*F_LMAX+ft)*2 +: 2]  = nk;
                assign fl_klo[(fj*F_LMAX+ft)*2 +: 2] = klo;
                assign fl_n[(fj*F_LMAX+ft)*8 +: 8]   = n;
                assign fl_pre[(fj*5+ft+1)*12 +: 12] = fl_pre[(fj*5+ft)*12 +: 12]
                                                    + ((ft < lout[2:0]) ? 12'd4 + {4'd0, n} : 12'd0);
            end
            wire [11:0] row = fl_pre[(fj*5+4)*12 +: 12];
            assign fl_c[fj*12 +: 12] = 12'd1 + ((cout[3:0] > 4'd8) ? row + row : row)
                                     + {5'd0, cout[3:0]} * {5'd0, lout[2:0]};
        end
    endgenerate

    wire f_table_ok = num_layers_i >= 4'd1 && num_layers_i <= F_NL
                   && fl_legal[0] && (num_layers_i < 4'd2 || fl_legal[1]);
    wire [11:0] f_total_d = fl_c[11:0] + ((num_layers_i >= 4'd2) ? fl_c[23:12] : 12'd0);
    always @(*) assume (f_table_ok);

    // the live stream: the last input byte within f_dly * C0*L0 LOAD cycles
    (* anyconst *) reg [1:0] f_dly;
    wire [11:0] f_lb_d = {4'd0, {6'd0, f_dly} * ({5'd0, fl_cin[2:0]} * {5'd0, fl_lin[2:0]})};  // C0, L0 <= 4

    // the formula's parts, kept from the cycle the last input byte is taken
    reg [F_NT*2-1:0]    fq_nk_q, fq_klo_q;
    reg [F_NT*8-1:0]    fq_n_q;
    reg [F_NL*5*12-1:0] fq_pre_q;
    reg [F_NL*12-1:0]   fq_c_q;
    reg [11:0]          f_tot_q, f_lb_q;

    // the run: cycle number from the cycle after the last input byte
    reg        f_run_q = 1'b0;
    reg [11:0] f_cyc_q = 12'd0;
    // bounded response: cycles since the start was taken, LOAD cycles, dwell in one state
    reg [11:0] f_wd_q = 12'd0, f_ld_q = 12'd0, f_dw_q = 12'd0;
    reg [3:0]  f_st_q = S_IDLE;
    wire [11:0] f_dwell_d = (state_q != f_st_q) ? 12'd0 : (f_dw_q == F_SAT) ? F_SAT : f_dw_q + 12'd1;
    always @(posedge clk) begin
        if (!rst_n || abort_i) begin
            f_run_q <= 1'b0;
        end else if (state_q == S_LOAD && load_last_i) begin
            f_run_q  <= 1'b1;
            f_cyc_q  <= 12'd0;
            f_tot_q  <= f_total_d;
            f_lb_q   <= f_lb_d;
            fq_nk_q  <= fl_nk;
            fq_klo_q <= fl_klo;
            fq_n_q   <= fl_n;
            fq_pre_q <= fl_pre;
            fq_c_q   <= fl_c;
        end else begin
            if (idle_o) f_run_q <= 1'b0;
            if (f_cyc_q != F_SAT) f_cyc_q <= f_cyc_q + 12'd1;
        end
        if (start_go_d) begin
            f_wd_q <= 12'd0;
            f_ld_q <= 12'd0;
        end else begin
            if (!idle_o && f_wd_q != F_SAT) f_wd_q <= f_wd_q + 12'd1;
            if (state_q == S_LOAD && f_ld_q != F_SAT) f_ld_q <= f_ld_q + 12'd1;
        end
        f_st_q <= state_q;
        f_dw_q <= f_dwell_d;
    end
    always @(*) begin
        assume (f_dly != 2'd0);
        if (state_q == S_LOAD && f_ld_q + 12'd1 >= f_lb_d) assume (load_last_i);
    end

    // the kept parts are the formula's, on the table of the run
    reg f_table_kept;
    always @(*) begin : f_kept
        integer j, t;
        reg [11:0] pre;
        f_table_kept = (fq_nk_q == fl_nk) && (fq_klo_q == fl_klo)
                    && (f_tot_q == fq_c_q[11:0] + ((num_layers_i >= 4'd2) ? fq_c_q[23:12] : 12'd0))
                    && (f_lb_q == f_lb_d);
        for (j = 0; j < F_NL; j = j + 1) begin
            f_table_kept = f_table_kept && fq_pre_q[(j*5)*12 +: 12] == 12'd0
                && fq_c_q[j*12 +: 12] == 12'd1 + ((fl_cout[j*16 +: 4] > 4'd8)
                       ? fq_pre_q[(j*5+4)*12 +: 12] + fq_pre_q[(j*5+4)*12 +: 12] : fq_pre_q[(j*5+4)*12 +: 12])
                   + {8'd0, fl_cout[j*16 +: 4]} * {9'd0, fl_lout[j*16 +: 3]};
            for (t = 0; t < F_LMAX; t = t + 1)
                f_table_kept = f_table_kept
                    && fq_n_q[(j*F_LMAX+t)*8 +: 8] == fl_cin[j*16 +: 6] * fq_nk_q[(j*F_LMAX+t)*2 +: 2]
                    && fq_pre_q[(j*5+t+1)*12 +: 12] == fq_pre_q[(j*5+t)*12 +: 12]
                       + ((t < fl_lout[j*16 +: 3]) ? 12'd4 + {4'd0, fq_n_q[(j*F_LMAX+t)*8 +: 8]} : 12'd0);
        end
    end

    // walker position -> cycle number by docs §7 (layer_q, group 8g = ch_base_q, t_q, i_q, kc_q, m_q)
    wire        f_l1    = layer_q[0];                       // layer 0 or 1
    wire [2:0]  f_tl_d  = {f_l1, t_q[1:0]};                 // (layer, t) entry, t < 4
    wire [15:0] fc_cin  = f_l1 ? fl_cin[31:16]  : fl_cin[15:0];
    wire [15:0] fc_lin  = f_l1 ? fl_lin[31:16]  : fl_lin[15:0];
    wire [15:0] fc_cout = f_l1 ? fl_cout[31:16] : fl_cout[15:0];
    wire [15:0] fc_lout = f_l1 ? fl_lout[31:16] : fl_lout[15:0];
    wire [7:0]  fc_k    = f_l1 ? fl_k[15:8] : fl_k[7:0];
    wire [7:0]  fc_s    = f_l1 ? fl_s[15:8] : fl_s[7:0];
    wire [7:0]  fc_p    = f_l1 ? fl_p[15:8] : fl_p[7:0];
    wire [11:0] f_base_d = f_l1 ? fq_c_q[11:0] : 12'd0;                           // B: first cycle of the layer
    wire [11:0] f_row_d  = fq_pre_q[({2'd0, f_l1} * 5 + 4)*12 +: 12];            // sum over t of (4 + n(t))
    wire [11:0] f_pre_d  = fq_pre_q[({2'd0, f_l1} * 5 + {1'b0, t_q[1:0]})*12 +: 12];   // t' < t_q
    wire [11:0] f_n_d    = {4'd0, fq_n_q[f_tl_d*8 +: 8]};                         // n(t_q)
    wire [1:0]  f_nk_d   = fq_nk_q[f_tl_d*2 +: 2];
    wire [1:0]  f_klo_d  = fq_klo_q[f_tl_d*2 +: 2];
    wire [11:0] f_rc_d = fc_cout[11:0] - {3'd0, ch_base_q};                     // Cout - 8g
    wire [11:0] f_a_d  = (f_rc_d >= 12'd8) ? 12'd8 : f_rc_d;                    // a(g)
    reg  [11:0] f_blk_d;   // cycle inside the block (0 = INIT)
    always @(*) begin
        case (state_q)
            S_TAP:    f_blk_d = 12'd1 + {6'd0, i_q[5:0]} * {10'd0, f_nk_d} + ({6'd0, kc_q} - {10'd0, f_klo_d});
            S_DRAIN1: f_blk_d = 12'd1 + f_n_d;
            S_DRAIN2: f_blk_d = 12'd2 + f_n_d;
            S_FIRE:   f_blk_d = 12'd3 + f_n_d;
            S_WRITE:  f_blk_d = 12'd4 + f_n_d + {9'd0, m_q};
            default:  f_blk_d = 12'd0;
        endcase
    end
    wire [11:0] f_pos_d = f_base_d + ((state_q == S_SETUP) ? 12'd0                 // group g = 0 or 1
                        : 12'd1 + ((ch_base_q != 9'd0) ? f_row_d + {6'd0, fc_lout[2:0], 3'd0} : 12'd0)
                          + f_pre_d + {10'd0, t_q[1:0]} * {8'd0, f_a_d[3:0]} + f_blk_d);

    wire [12:0] f_nl_d   = {9'd0, num_layers_i};
    wire [12:0] f_bound_d = f_nl_d + (compute_d ? {1'b0, f_lb_q} + {1'b0, f_tot_q}
                                                : {1'b0, f_lb_d} + {1'b0, f_total_d});
    wire        f_tap_ok = {1'b0, i_q} < fc_cin[13:0] && {2'd0, kc_q} < fc_k
                        && {1'b0, t_q} * fc_s[5:0] + {6'd0, kc_q} >= {7'd0, fc_p[4:0]}
                        && {1'b0, t_q} * fc_s[5:0] + {6'd0, kc_q} < fc_lin[11:0] + {7'd0, fc_p[4:0]};
    always @(*) begin
        if (f_past_q) begin
            // helpers of the induction, each a fact of its own
            if (compute_d) ap_ctrl_sched_table: assert (f_table_kept);
            if (compute_d && state_q != S_SETUP)
                ap_ctrl_sched_regs: assert (l_cin_q == fc_cin[12:0] && l_lin_q == fc_lin[10:0]
                    && l_cout_q == fc_cout[8:0] && l_lout_q == fc_lout[10:0] && l_k_q == fc_k[5:0]
                    && l_s_q == fc_s[5:0] && l_p_q == fc_p[4:0]
                    && l_last_q == ({1'b0, layer_q} + 4'd1 == num_layers_i));
            ap_ctrl_sched_walk: assert (state_q <= S_WRITE
                && (!compute_d || {1'b0, layer_q} < num_layers_i)
                && (state_q != S_LOAD || layer_q == 3'd0)
                && ((state_q != S_CHECK && state_q != S_LOAD) || !f_run_q)
                && (!compute_d || state_q == S_SETUP
                    || (ch_base_q[2:0] == 3'd0 && {7'd0, ch_base_q} < fc_cout && {5'd0, t_q} < fc_lout
                        && pos_q == {2'd0, t_q} * {7'd0, fc_s[5:0]} - {8'd0, fc_p[4:0]}))
                && (state_q != S_INIT || i_q == 13'd0)
                && (state_q != S_TAP || f_tap_ok)
                && (state_q != S_WRITE || {9'd0, m_q} < f_a_d));
            if (compute_d) ap_ctrl_sched_pos: assert (f_cyc_q == f_pos_d);
            // the schedule: busy in cycles 0 .. cycles-1 after the last input, done rises in cycle `cycles`
            if (compute_d) ap_ctrl_sched_busy: assert (f_run_q && f_cyc_q < f_tot_q);
            if ((done_o && !f_done_q) || (f_run_q && idle_o))
                ap_ctrl_sched_done: assert (f_run_q && idle_o && done_o && f_cyc_q == f_tot_q);
            // bounded response: the run is back in IDLE within NUM_LAYERS + f_dly*C0*L0 + cycles
            // cycles of the start, and no state outlasts its own bound
            ap_ctrl_live_wd: assert ((state_q != S_CHECK || (f_wd_q == {9'd0, layer_q} && {1'b0, layer_q} < num_layers_i
                                                    && f_ld_q == 12'd0))
                && (state_q != S_LOAD || ({1'b0, f_wd_q} == f_nl_d + {1'b0, f_ld_q} && f_ld_q < f_lb_d))
                && (!compute_d || ({1'b0, f_wd_q} == f_nl_d + {1'b0, f_ld_q} + {1'b0, f_cyc_q}
                                   && f_ld_q >= 12'd1 && f_ld_q <= f_lb_q)));
            if (!idle_o) ap_ctrl_live_run: assert ({1'b0, f_wd_q} < f_bound_d);
            ap_ctrl_live_state: assert (
                   ((state_q != S_SETUP && state_q != S_INIT && state_q != S_DRAIN1 && state_q != S_DRAIN2
                     && state_q != S_FIRE) || f_dwell_d == 12'd0)
                && (state_q != S_CHECK || (f_dwell_d == {9'd0, layer_q} && {1'b0, layer_q} < num_layers_i))
                && (state_q != S_LOAD || (f_dwell_d == f_ld_q && f_ld_q < f_lb_d))
                && (state_q != S_TAP || (f_dwell_d == f_blk_d - 12'd1 && f_dwell_d < f_n_d))
                && (state_q != S_WRITE || (f_dwell_d == {9'd0, m_q} && {9'd0, m_q} < f_a_d)));
        end
    end
    always @(*) if (f_past_q) begin
        cv_ctrl_sched_table: cover (state_q == S_SETUP && layer_q == 3'd1);
        cv_ctrl_sched_regs: cover (state_q == S_INIT && layer_q == 3'd1);
        cv_ctrl_sched_walk: cover (state_q == S_TAP && i_q == 13'd1 && kc_q == 6'd1);
        cv_ctrl_sched_pos: cover (state_q == S_WRITE && ch_base_q == 9'd8);
        cv_ctrl_sched_busy: cover (busy_o && layer_q == 3'd1 && f_cyc_q + 12'd1 == f_tot_q);
        cv_ctrl_sched_done: cover (f_run_q && idle_o && f_nl_q == 4'd2);
        cv_ctrl_live_wd: cover (state_q == S_LOAD && f_ld_q == 12'd2);
        cv_ctrl_live_run: cover (!idle_o && {1'b0, f_wd_q} + 13'd1 == f_bound_d);
        cv_ctrl_live_state: cover (state_q == S_TAP && f_dwell_d + 12'd1 == f_n_d && f_n_d >= 12'd4);
    end
`endif
`endif
endmodule

`default_nettype wire
