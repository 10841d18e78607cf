"""docs/METHOD.md section 5: the two 803-wide stencils slid over the histogram."""

from __future__ import annotations

import numpy as np

STENCIL_SIZE = 803

# Stencil index -> weight; each index is a popular round USD amount (comment) or its neighbour.
SPIKE_WEIGHTS: dict[int, float] = {
    40: 0.001300198324984352,  # $1
    141: 0.001676746949820743,  # $5
    201: 0.003468805546942046,  # $10
    202: 0.001991977522512513,
    236: 0.001905066647961839,  # $15
    261: 0.003341772718156079,  # $20
    262: 0.002588902624584287,
    296: 0.002577893841190244,  # $30
    297: 0.002733728814200412,
    340: 0.003076117748975647,  # $50
    341: 0.005613067550103145,
    342: 0.003088253178535568,
    400: 0.002918457489366139,  # $100
    401: 0.006174500465286022,
    402: 0.004417068070043504,
    403: 0.002628663628020371,
    436: 0.002858828161543839,  # $150
    461: 0.004097463611984264,  # $200
    462: 0.003345917406120509,
    496: 0.002521467726855856,  # $300
    497: 0.002784125730361008,
    541: 0.003792850444811335,  # $500
    601: 0.003688240815848247,  # $1000
    602: 0.002392400117402263,
    636: 0.001280993059008106,  # $1500
    661: 0.001654665137536031,  # $2000
    662: 0.001395501347054946,
    741: 0.001154279140906312,  # $5000
    801: 0.000832244504868709,  # $10000
}


def _smooth() -> np.ndarray:
    # Python floats and the constant e raised with ``**``, exactly as the method states.
    return np.array(
        [
            0.0015 * 2.718281828459045 ** (-((x - 411) ** 2) / (2 * 201**2)) + 0.0000005 * x
            for x in range(STENCIL_SIZE)
        ],
        dtype=np.float64,
    )


def _spike() -> np.ndarray:
    spike = np.zeros(STENCIL_SIZE, dtype=np.float64)
    for index, weight in SPIKE_WEIGHTS.items():
        spike[index] = weight
    return spike


SMOOTH = _smooth()
SPIKE = _spike()
SPIKE_INDEX = np.array(sorted(SPIKE_WEIGHTS), dtype=np.int64)
