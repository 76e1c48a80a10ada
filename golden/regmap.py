"""Host interface of SparrowSNN (docs/architecture.md §4-6).

GENERATED — do not edit; source: interface/sparrow.rdl, interface/sparrow.toml
regenerate with: make interface (scripts/gen_interface.py)
"""

from __future__ import annotations

ID_VALUE = 0x53505257  # ID register value
ADDR_ID = 0x0000  # ID
ADDR_PARAMS = 0x0004  # PARAMS
ADDR_CTRL = 0x0008  # CTRL
ADDR_STATUS = 0x000C  # STATUS
ADDR_NUM_LAYERS = 0x0010  # NUM_LAYERS
ADDR_CLASS = 0x0014  # CLASS
ADDR_IRQ_EN = 0x0018  # IRQ_EN
ADDR_CNT_CYCLES = 0x0020  # CNT_CYCLES
ADDR_CNT_WREADS = 0x0024  # CNT_WREADS
ADDR_CNT_MACS = 0x0028  # CNT_MACS
ADDR_CNT_SKIPS = 0x002C  # CNT_SKIPS
ADDR_CNT_LOAD = 0x0030  # CNT_LOAD
ADDR_LOGIT = 0x0100  # LOGIT[0..15]
LOGIT_COUNT = 16  # LOGIT registers
ADDR_DESC = 0x0200  # descriptor table
DESC_STRIDE = 32  # bytes per layer descriptor
DESC_WORDS = 8  # words per layer descriptor
DESC_USED_WORDS = 6  # words holding fields (rest reserved)
ADDR_BIAS = 0x1000  # BIAS window
BIAS_BYTES = 4096  # BIAS window size
ADDR_THETA = 0x2000  # THETA window
THETA_BYTES = 4096  # THETA window size
ADDR_WMEM = 0x4000  # WMEM window
WMEM_BYTES = 16384  # WMEM window size
PARAMS_LANES_LSB = 0  # PARAMS.lanes
PARAMS_LANES_W = 8
PARAMS_MAX_LAYERS_LSB = 8  # PARAMS.max_layers
PARAMS_MAX_LAYERS_W = 8
PARAMS_ACC_W_LSB = 16  # PARAMS.acc_w
PARAMS_ACC_W_W = 8
PARAMS_MAX_CLASSES_LSB = 24  # PARAMS.max_classes
PARAMS_MAX_CLASSES_W = 8
CTRL_START_LSB = 0  # CTRL.start
CTRL_START_W = 1
CTRL_ABORT_LSB = 1  # CTRL.abort
CTRL_ABORT_W = 1
STATUS_BUSY_LSB = 0  # STATUS.busy
STATUS_BUSY_W = 1
STATUS_DONE_LSB = 1  # STATUS.done
STATUS_DONE_W = 1
STATUS_ERROR_LSB = 2  # STATUS.error
STATUS_ERROR_W = 1
STATUS_LOADING_LSB = 3  # STATUS.loading
STATUS_LOADING_W = 1
STATUS_ERR_LAYER_LSB = 8  # STATUS.err_layer
STATUS_ERR_LAYER_W = 4
STATUS_ERR_CODE_LSB = 16  # STATUS.err_code
STATUS_ERR_CODE_W = 8
NUM_LAYERS_NUM_LAYERS_LSB = 0  # NUM_LAYERS.num_layers
NUM_LAYERS_NUM_LAYERS_W = 4
CLASS_CLASS_IDX_LSB = 0  # CLASS.class_idx
CLASS_CLASS_IDX_W = 4
IRQ_EN_EN_LSB = 0  # IRQ_EN.en
IRQ_EN_EN_W = 1
DESC_KIND_WORD = 0  # descriptor field kind
DESC_KIND_LSB = 0
DESC_KIND_W = 1
DESC_KIND_POS = 0  # position in the packed descriptor
DESC_SSF_WORD = 0  # descriptor field ssf
DESC_SSF_LSB = 1
DESC_SSF_W = 1
DESC_SSF_POS = 1  # position in the packed descriptor
DESC_T_WORD = 0  # descriptor field T
DESC_T_LSB = 8
DESC_T_W = 8
DESC_T_POS = 2  # position in the packed descriptor
DESC_CIN_WORD = 1  # descriptor field Cin
DESC_CIN_LSB = 0
DESC_CIN_W = 16
DESC_CIN_POS = 10  # position in the packed descriptor
DESC_LIN_WORD = 1  # descriptor field Lin
DESC_LIN_LSB = 16
DESC_LIN_W = 16
DESC_LIN_POS = 26  # position in the packed descriptor
DESC_COUT_WORD = 2  # descriptor field Cout
DESC_COUT_LSB = 0
DESC_COUT_W = 16
DESC_COUT_POS = 42  # position in the packed descriptor
DESC_LOUT_WORD = 2  # descriptor field Lout
DESC_LOUT_LSB = 16
DESC_LOUT_W = 16
DESC_LOUT_POS = 58  # position in the packed descriptor
DESC_K_WORD = 3  # descriptor field K
DESC_K_LSB = 0
DESC_K_W = 8
DESC_K_POS = 74  # position in the packed descriptor
DESC_S_WORD = 3  # descriptor field S
DESC_S_LSB = 8
DESC_S_W = 8
DESC_S_POS = 82  # position in the packed descriptor
DESC_P_WORD = 3  # descriptor field P
DESC_P_LSB = 16
DESC_P_W = 8
DESC_P_POS = 90  # position in the packed descriptor
DESC_W_BASE_WORD = 4  # descriptor field w_base
DESC_W_BASE_LSB = 0
DESC_W_BASE_W = 16
DESC_W_BASE_POS = 98  # position in the packed descriptor
DESC_B_BASE_WORD = 5  # descriptor field b_base
DESC_B_BASE_LSB = 0
DESC_B_BASE_W = 16
DESC_B_BASE_POS = 114  # position in the packed descriptor
ERR_NUM_LAYERS = 1  # NUM_LAYERS is 0 or > MAX_LAYERS (reported for layer 0)
ERR_SHAPE = 2  # a channel count or length is 0 or above its limit (dense: F 1..ACT_DEPTH, O 1..MAX_OUT_F, Lin = Lout = 1)
ERR_ACT_SIZE = 3  # C·L of a layer's input or output exceeds ACT_DEPTH
ERR_KSP = 4  # kernel, stride or padding outside its limit (or not 1/1/0 on a dense layer)
ERR_LOUT = 5  # Lout disagrees with the conv1d length formula
ERR_CHAIN = 6  # the layer's input shape differs from the previous layer's output (dense: F ≠ Cout·Lout of the previous layer)
ERR_WMEM = 7  # weight words past WMEM_DEPTH: w_base + G·Cin·K > WMEM_DEPTH
ERR_BMEM = 8  # bias groups past BMEM_DEPTH: b_base + G > BMEM_DEPTH
ERR_ACT = 9  # ssf with T = 0, or `none` on a layer that is not the last
ERR_CLASSES = 10  # last layer has more than MAX_CLASSES outputs (Cout·Lout)

# build limits (interface/sparrow.toml)
LIMITS: dict[str, int] = {
    'LANES': 8,
    'MAX_LAYERS': 8,
    'MAX_CH': 256,
    'MAX_LEN': 1024,
    'ACT_DEPTH': 4096,
    'MAX_OUT_F': 256,
    'MAX_K': 32,
    'MAX_S': 32,
    'MAX_P': 31,
    'CNT_W': 8,
    'TH_W': 16,
    'ACC_W': 32,
    'WMEM_DEPTH': 2048,
    'BMEM_DEPTH': 128,
    'MAX_CLASSES': 16,
}
DESC_W = 130

# descriptor fields (name, word, lsb, width) in packing order, LSB first
DESC_FIELDS: tuple[tuple[str, int, int, int], ...] = (
    ('kind', 0, 0, 1),
    ('ssf', 0, 1, 1),
    ('T', 0, 8, 8),
    ('Cin', 1, 0, 16),
    ('Lin', 1, 16, 16),
    ('Cout', 2, 0, 16),
    ('Lout', 2, 16, 16),
    ('K', 3, 0, 8),
    ('S', 3, 8, 8),
    ('P', 3, 16, 8),
    ('w_base', 4, 0, 16),
    ('b_base', 5, 0, 16),
)
# per descriptor word: the bits that hold fields (all other bits read 0)
DESC_WORD_MASKS: tuple[int, ...] = (
    0x0000FF03,
    0xFFFFFFFF,
    0xFFFFFFFF,
    0x00FFFFFF,
    0x0000FFFF,
    0x0000FFFF,
)

# registers: name -> (address, access, reset, {field: (lsb, width)})
REGISTERS: dict[str, tuple[int, str, int, dict[str, tuple[int, int]]]] = {
    'ID': (0x0000, 'RO', 0x53505257, {'value': (0, 32)}),
    'PARAMS': (0x0004, 'RO', 0x10200808, {'lanes': (0, 8), 'max_layers': (8, 8), 'acc_w': (16, 8), 'max_classes': (24, 8)}),
    'CTRL': (0x0008, 'WO', 0x0, {'start': (0, 1), 'abort': (1, 1)}),
    'STATUS': (0x000C, 'RO', 0x0, {'busy': (0, 1), 'done': (1, 1), 'error': (2, 1), 'loading': (3, 1), 'err_layer': (8, 4), 'err_code': (16, 8)}),
    'NUM_LAYERS': (0x0010, 'RW', 0x0, {'num_layers': (0, 4)}),
    'CLASS': (0x0014, 'RO', 0x0, {'class_idx': (0, 4)}),
    'IRQ_EN': (0x0018, 'RW', 0x0, {'en': (0, 1)}),
    'CNT_CYCLES': (0x0020, 'RO', 0x0, {'count': (0, 32)}),
    'CNT_WREADS': (0x0024, 'RO', 0x0, {'count': (0, 32)}),
    'CNT_MACS': (0x0028, 'RO', 0x0, {'count': (0, 32)}),
    'CNT_SKIPS': (0x002C, 'RO', 0x0, {'count': (0, 32)}),
    'CNT_LOAD': (0x0030, 'RO', 0x0, {'count': (0, 32)}),
}
# memory windows: name -> (address, bytes)
WINDOWS: dict[str, tuple[int, int]] = {
    'BIAS': (0x1000, 0x1000),
    'THETA': (0x2000, 0x1000),
    'WMEM': (0x4000, 0x4000),
}
# error codes (STATUS.err_code): code -> (name, meaning)
ERROR_CODES: dict[int, tuple[str, str]] = {
    1: ('NUM_LAYERS', 'NUM_LAYERS is 0 or > MAX_LAYERS (reported for layer 0)'),
    2: ('SHAPE', 'a channel count or length is 0 or above its limit (dense: F 1..ACT_DEPTH, O 1..MAX_OUT_F, Lin = Lout = 1)'),
    3: ('ACT_SIZE', "C·L of a layer's input or output exceeds ACT_DEPTH"),
    4: ('KSP', 'kernel, stride or padding outside its limit (or not 1/1/0 on a dense layer)'),
    5: ('LOUT', 'Lout disagrees with the conv1d length formula'),
    6: ('CHAIN', "the layer's input shape differs from the previous layer's output (dense: F ≠ Cout·Lout of the previous layer)"),
    7: ('WMEM', 'weight words past WMEM_DEPTH: w_base + G·Cin·K > WMEM_DEPTH'),
    8: ('BMEM', 'bias groups past BMEM_DEPTH: b_base + G > BMEM_DEPTH'),
    9: ('ACT', 'ssf with T = 0, or `none` on a layer that is not the last'),
    10: ('CLASSES', 'last layer has more than MAX_CLASSES outputs (Cout·Lout)'),
}
