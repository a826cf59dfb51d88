"""lucid.nn: Module, Parameter, containers and layers, with PyTorch's names and state keys."""

# A plain re-export list, one import line per module, that several files' authors append to.
# ruff: noqa: F401, I001
from lucid.nn.containers import ModuleDict, ModuleList, Sequential
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
from lucid.nn import functional, init, parallel, utils
from lucid.nn.activation import ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, Mish, ReLU, SiLU
from lucid.nn.activation import Sigmoid, Softmax, Softplus, Tanh
from lucid.nn.activation import CELU, GLU, PReLU, ReLU6, SELU, Hardshrink, Hardsigmoid, Hardswish
from lucid.nn.activation import LogSigmoid, Softmin, Softshrink, Softsign, Tanhshrink, Threshold
from lucid.nn.activation import RReLU, Softmax2d
from lucid.nn.dropout import Dropout
from lucid.nn.flatten import Flatten, Unflatten
from lucid.nn.linear import Bilinear, Identity, Linear
from lucid.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, KLDivLoss, L1Loss
from lucid.nn.loss import MSELoss, NLLLoss, SmoothL1Loss
from lucid.nn.loss import CosineEmbeddingLoss, CTCLoss, GaussianNLLLoss, HingeEmbeddingLoss
from lucid.nn.loss import HuberLoss, MarginRankingLoss, MultiLabelMarginLoss, MultiMarginLoss
from lucid.nn.loss import MultiLabelSoftMarginLoss, PoissonNLLLoss, SoftMarginLoss
from lucid.nn.loss import TripletMarginLoss, TripletMarginWithDistanceLoss
from lucid.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm
from lucid.nn.sparse import Embedding, EmbeddingBag
from lucid.nn.attention import MultiheadAttention
from lucid.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from lucid.nn.conv import Conv3d, ConvTranspose3d
from lucid.nn.pooling import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d
from lucid.nn.pooling import MaxPool1d, MaxPool2d
from lucid.nn.pooling import AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d
from lucid.nn.pooling import AdaptiveMaxPool3d, AvgPool3d, MaxPool3d
from lucid.nn.pooling import LPPool1d, LPPool2d, LPPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d
from lucid.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from lucid.nn.transformer import Transformer, TransformerDecoder, TransformerDecoderLayer
from lucid.nn.transformer import TransformerEncoder, TransformerEncoderLayer
from lucid.nn.parallel import DataParallel
from lucid.nn.padding import ConstantPad1d, ConstantPad2d, ConstantPad3d, ZeroPad1d, ZeroPad2d
from lucid.nn.padding import ZeroPad3d, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d
from lucid.nn.padding import ReplicationPad1d, ReplicationPad2d, ReplicationPad3d
from lucid.nn.padding import CircularPad1d, CircularPad2d, CircularPad3d
from lucid.nn.upsampling import PixelShuffle, PixelUnshuffle, Upsample, UpsamplingBilinear2d
from lucid.nn.upsampling import ChannelShuffle, UpsamplingNearest2d
from lucid.nn.normalization import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, RMSNorm
from lucid.nn.normalization import LocalResponseNorm
from lucid.nn.dropout import AlphaDropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from lucid.nn.distance import CosineSimilarity, PairwiseDistance
from lucid.nn.fold import Fold, Unfold
