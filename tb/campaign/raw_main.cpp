// raw_main.cpp: the top-level harness (tb/top/top_harness.v) Verilated and driven from C++
// alone, without cocotb or Python: the simulator's own speed on the same commands the cocotb
// driver issues (scripts/bench_campaign.py writes harness_prog.hex / harness_in.hex first).
//
//   Vraw <prog_transfers> <inferences> <bytes_per_inference> <timeout_cycles>
//
// Prints one JSON line: cycles simulated by the RUN command, its wall seconds, cycles/s and
// inferences/s. The harness writes harness_trace.txt / harness_results.txt as under cocotb.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "Vtop_harness.h"
#include "verilated.h"

static VerilatedContext* ctx;
static Vtop_harness* top;

// Advance simulation time until the harness acknowledges the command toggle.
static bool run_until_ack(int go) {
    while (top->h_ack != go) {
        top->eval();
        if (ctx->gotFinish() || !top->eventsPending()) return false;
        ctx->time(top->nextTimeSlot());
    }
    return true;
}

static void run_cycles(uint64_t n) {
    const uint64_t end = top->h_cycle + n;
    while (top->h_cycle < end && top->eventsPending()) {
        top->eval();
        ctx->time(top->nextTimeSlot());
    }
}

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: Vraw prog_transfers inferences bytes timeout\n");
        return 2;
    }
    ctx = new VerilatedContext;
    ctx->commandArgs(1, argv);
    top = new Vtop_harness{ctx};
    const uint32_t n_prog = std::atoi(argv[1]), n_inf = std::atoi(argv[2]);
    const uint32_t nbytes = std::atoi(argv[3]), timeout = std::atoi(argv[4]);
    top->rst_n = 0;
    top->h_rst_n = 0;
    top->h_go = 0;
    top->eval();
    run_cycles(3);
    top->rst_n = 1;
    top->h_rst_n = 1;
    run_cycles(1);
    int go = top->h_ack;
    // PROG: the front-door load
    top->h_cmd = 1;
    top->h_count = n_prog;
    go ^= 1;
    top->h_go = go;
    if (!run_until_ack(go)) { std::fprintf(stderr, "PROG did not finish\n"); return 1; }
    // RUN: every inference, valid always high
    top->h_cmd = 2;
    top->h_count = n_inf;
    top->h_nbytes = nbytes;
    top->h_timeout = timeout;
    top->h_vmode = 0;
    top->h_vprob = 255;
    top->h_seed = 1;
    top->h_ext_stream = 0;
    top->h_stuck_en = 0;
    const uint64_t c0 = top->h_cycle;
    const auto t0 = std::chrono::steady_clock::now();
    go ^= 1;
    top->h_go = go;
    if (!run_until_ack(go)) { std::fprintf(stderr, "RUN did not finish\n"); return 1; }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const uint64_t cycles = top->h_cycle - c0;
    std::printf("{\"cycles\": %llu, \"seconds\": %.6f, \"cycles_per_second\": %.1f, "
                "\"inferences\": %u, \"inferences_per_second\": %.3f}\n",
                (unsigned long long)cycles, s, cycles / s, n_inf, n_inf / s);
    top->final();
    delete top;
    delete ctx;
    return 0;
}
