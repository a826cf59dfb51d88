"""lucid.nn.functional (``F``): the functional forms of nn's layers, with PyTorch's names.

Only re-exports, one import line per module: each form lives beside its op or layer.
"""

# ruff: noqa: F401, I001
from lucid.nn.linear import bilinear, linear
from lucid.nn.sparse import embedding, embedding_bag, one_hot
from lucid.ops.activation import elu, gelu, hardtanh, leaky_relu, log_softmax, mish, relu
from lucid.ops.activation import sigmoid, silu, softmax, softplus
from lucid.ops.activation import celu, glu, hardshrink, hardsigmoid, hardswish, logsigmoid, prelu
from lucid.ops.activation import relu6, selu, softmin, softshrink, softsign, tanhshrink, threshold
from lucid.ops.dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d
from lucid.ops.dropout import feature_alpha_dropout
from lucid.ops.elementwise import tanh
from lucid.ops.loss import binary_cross_entropy, binary_cross_entropy_with_logits
from lucid.ops.loss import cross_entropy, kl_div, l1_loss, mse_loss, nll_loss, smooth_l1_loss
from lucid.ops.loss import gaussian_nll_loss, huber_loss, poisson_nll_loss
from lucid.ops.ctc import ctc_loss
from lucid.ops.margin_loss import cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss
from lucid.ops.margin_loss import multi_margin_loss, multilabel_margin_loss, soft_margin_loss
from lucid.ops.margin_loss import multilabel_soft_margin_loss
from lucid.ops.margin_loss import triplet_margin_loss, triplet_margin_with_distance_loss
from lucid.ops.norm import batch_norm, group_norm, layer_norm
from lucid.ops.shape import pad_torch as pad
from lucid.ops.attention import scaled_dot_product_attention
from lucid.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from lucid.ops.conv import conv3d, conv_transpose3d, fold, unfold
from lucid.ops.pool import adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d
from lucid.ops.pool import max_pool1d, max_pool2d
from lucid.ops.pool import adaptive_avg_pool3d, adaptive_max_pool1d, adaptive_max_pool2d
from lucid.ops.pool import adaptive_max_pool3d, avg_pool3d, max_pool3d
from lucid.ops.vision import affine_grid, grid_sample, interpolate, pixel_shuffle, pixel_unshuffle
from lucid.ops.vision import upsample, upsample_bilinear, upsample_nearest
from lucid.ops.norm import instance_norm, local_response_norm, rms_norm
from lucid.ops.distance import cosine_similarity, normalize, pairwise_distance
from lucid.ops.activation import celu_, elu_, hardtanh_, leaky_relu_, relu_, rrelu, rrelu_
from lucid.ops.activation import selu_, threshold_
from lucid.ops.distance import pdist
from lucid.ops.pool import adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices
from lucid.ops.pool import adaptive_max_pool3d_with_indices, lp_pool1d, lp_pool2d, lp_pool3d
from lucid.ops.pool import max_pool1d_with_indices, max_pool2d_with_indices
from lucid.ops.pool import max_pool3d_with_indices, max_unpool1d, max_unpool2d, max_unpool3d
from lucid.ops.vision import channel_shuffle
