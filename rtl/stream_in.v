// stream_in.v: valid/ready input loader; writes the C0*L0 input bytes, in arrival
// order (channel-major, docs/architecture.md §5 and §7), into activation buffer 0.
//
// arm_i (one cycle, from ctrl) latches the byte count and raises in_ready on the
// next cycle. Every cycle with in_valid && in_ready accepts in_data and writes it
// at the next address (0, 1, ...). In the cycle of the last handshake last_o is
// high; in_ready falls on the next cycle. abort_i drops in_ready at once (next
// cycle) and forgets the transfer; a reset does the same.
`default_nettype none

module stream_in #(
    parameter integer ACT_DEPTH = 4096  // activation buffer depth (power of two, >= 2)
) (
    input  wire                          clk,         // clock, rising edge
    input  wire                          rst_n,       // synchronous reset, active low
    input  wire                          arm_i,       // start a transfer of count_i bytes (ignored while active)
    input  wire                          abort_i,     // cancel the transfer (priority over arm_i)
    input  wire [$clog2(ACT_DEPTH):0]    count_i,     // number of bytes, 1..ACT_DEPTH (sampled with arm_i)
    input  wire                          in_valid,    // source has a byte
    output wire                          in_ready,    // loader accepts a byte this cycle
    input  wire [7:0]                    in_data,     // the byte
    output wire                          mem_we_o,    // write in_data to buffer 0 this cycle
    output wire [$clog2(ACT_DEPTH)-1:0]  mem_addr_o,  // write address
    output wire [7:0]                    mem_wdata_o, // write data (= in_data)
    output wire                          last_o       // the last byte is accepted this cycle
);

    generate
        if (ACT_DEPTH < 2 || (ACT_DEPTH & (ACT_DEPTH - 1)) != 0) begin : g_bad_depth
            stream_in_parameter_error_ACT_DEPTH_must_be_a_power_of_two u_param_error ();
        end
    endgenerate

    localparam integer AW = $clog2(ACT_DEPTH);  // buffer address width

    reg          active_q;   // in_ready
    reg [AW-1:0] addr_q;     // address of the next byte
    reg [AW:0]   last_q;     // count - 1: address of the last byte

    wire take_d = active_q && in_valid;
`ifdef FORMAL_MUTANT_STREAM_LAST
    wire last_d = take_d && ({1'b0, addr_q} == last_q + 1'b1);  // mutant: one byte too many
`else
    wire last_d = take_d && ({1'b0, addr_q} == last_q);
`endif

    always @(posedge clk) begin
        if (!rst_n || abort_i) begin
            active_q <= 1'b0;
            addr_q   <= {AW{1'b0}};
            last_q   <= {(AW + 1){1'b0}};
        end else if (!active_q) begin
            if (arm_i) begin
                active_q <= 1'b1;
                addr_q   <= {AW{1'b0}};
                last_q   <= count_i - 1'b1;
            end
        end else if (take_d) begin
            addr_q <= addr_q + 1'b1;
            if (last_d) begin
                active_q <= 1'b0;
            end
        end
    end

    assign in_ready    = active_q;
    assign mem_we_o    = take_d;
    assign mem_addr_o  = addr_q;
    assign mem_wdata_o = in_data;
    assign last_o      = last_d;

`ifdef FORMAL
    // ------------------------------------------------------------------
    // Formal properties (docs/formal.md, formal/stream_in.sby): after an arm
    // with count n exactly n bytes are accepted, at addresses 0..n-1 in arrival
    // order, none while not armed; valid/ready rules. Input contract: the
    // count given with a taken arm is 1..ACT_DEPTH.
    // ------------------------------------------------------------------
    reg f_past_q = 1'b0;
    always @(posedge clk) f_past_q <= 1'b1;
    always @(*) if (!f_past_q) assume (!rst_n);
    always @(*) if (arm_i && !active_q) assume (count_i >= 1 && count_i <= ACT_DEPTH);

    reg [AW:0] f_cnt_q;   // bytes accepted since the arm
    reg [AW:0] f_n_q;     // the count of the transfer
    reg        f_stop_q, f_arm_q, f_last_q, f_run_q, f_ready_q;
    always @(posedge clk) begin
        if (!rst_n || abort_i) begin
            f_cnt_q <= 0;
        end else if (!in_ready && arm_i) begin
            f_cnt_q <= 0;
            f_n_q   <= count_i;
        end else if (mem_we_o) begin
            f_cnt_q <= f_cnt_q + 1'b1;
        end
        f_stop_q  <= !rst_n || abort_i;
        f_arm_q   <= rst_n && !abort_i && !in_ready && arm_i;
        f_last_q  <= rst_n && !abort_i && last_o;
        f_run_q   <= rst_n && !abort_i && in_ready && !last_o;
        f_ready_q <= in_ready;
    end

    always @(*) begin
        ap_si_handshake: assert (mem_we_o == (in_valid && in_ready) && mem_wdata_o == in_data);
        if (f_past_q) begin
            if (in_ready) ap_si_order: assert (mem_addr_o == f_cnt_q[AW-1:0] && f_cnt_q < f_n_q
                                               && f_n_q <= ACT_DEPTH && last_q == f_n_q - 1'b1);
            ap_si_last: assert (last_o == (mem_we_o && f_cnt_q + 1'b1 == f_n_q));
            if (f_last_q) ap_si_exact: assert (!in_ready && f_cnt_q == f_n_q);
            if (f_run_q) ap_si_ready_hold: assert (in_ready);
            if (f_arm_q) ap_si_arm: assert (in_ready && mem_addr_o == 0);
            if (!f_stop_q && !f_ready_q && !f_arm_q) ap_si_none_idle: assert (!in_ready);
            if (f_stop_q) ap_si_abort: assert (!in_ready);
        end
    end
    always @(*) if (f_past_q) begin
        cv_si_handshake: cover (in_valid && in_ready);
        cv_si_order: cover (in_ready && f_cnt_q == 3);
        cv_si_last: cover (last_o && f_n_q == 4);
        cv_si_exact: cover (f_last_q && f_n_q == 3);
        cv_si_ready_hold: cover (f_run_q && f_cnt_q == 2 && !in_valid);
        cv_si_arm: cover (f_arm_q && f_n_q == ACT_DEPTH);
        cv_si_none_idle: cover (!f_stop_q && !f_ready_q && !f_arm_q && in_valid);
        cv_si_abort: cover (f_stop_q && f_ready_q);
    end
`endif
endmodule

`default_nettype wire
