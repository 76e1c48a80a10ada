"""SparrowSNN cocotb testbenches: one directory per RTL module (tb/<module>/), shared helpers in
:mod:`tb.common`. See docs/testbenches.md."""
