// silicon/cells_map.v: yosys techmap of the flip-flop primitives to OSU018 cells (make synth).
// A flop with an enable keeps its hold multiplexer as explicit cells (MUX2X1 selects D when E,
// else Q; the library's MUX2X1 inverts, INVX1 restores): the enable net E then exists in the
// netlist, and silicon/power.py models the clock gating a real implementation would use (one
// clock-gating cell per enable net, replacing these hold multiplexers).
module \$_DFF_P_ (input D, input C, output Q);
    DFFPOSX1 _TECHMAP_REPLACE_ (.CLK(C), .D(D), .Q(Q));
endmodule

module \$_DFFE_PP_ (input D, input C, input E, output Q);
    wire hold_n, hold;
    MUX2X1 mux (.A(D), .B(Q), .S(E), .Y(hold_n));
    INVX1 inv (.A(hold_n), .Y(hold));
    DFFPOSX1 _TECHMAP_REPLACE_ (.CLK(C), .D(hold), .Q(Q));
endmodule

// Sync reset (active high after dfflegalize, value 0) and enable, reset first: the clock must
// run when E or R; the data is D unless R.
module \$_SDFFE_PP0P_ (input D, input C, input R, input E, output Q);
    wire en = E | R;
    wire d = D & ~R;
    wire hold_n, hold;
    MUX2X1 mux (.A(d), .B(Q), .S(en), .Y(hold_n));
    INVX1 inv (.A(hold_n), .Y(hold));
    DFFPOSX1 _TECHMAP_REPLACE_ (.CLK(C), .D(hold), .Q(Q));
endmodule

// Sync reset and enable, enable first: the clock runs when E; the data is D unless R.
module \$_SDFFCE_PP0P_ (input D, input C, input R, input E, output Q);
    wire d = D & ~R;
    wire hold_n, hold;
    MUX2X1 mux (.A(d), .B(Q), .S(E), .Y(hold_n));
    INVX1 inv (.A(hold_n), .Y(hold));
    DFFPOSX1 _TECHMAP_REPLACE_ (.CLK(C), .D(hold), .Q(Q));
endmodule
