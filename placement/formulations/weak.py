"""The weak formulation: no per-pair linking; capacity rows carry open_i.

Same objective and constraints (1), (2), (4), (6), (7) as the strong formulation, but

    (3') Σ_p x_p ≤ n_i · open_i  only over pairs that draw no power (zero-demand regions);
         every other pair is tied to open_i through the power row (4) alone.
    (5') Σ_p x_p ≤ n_i · liquid_i over pairs needing liquid at i;  liquid_i ≤ open_i
    (7b') Σ_k train_ik ≤ K_i · tsite_i

Far fewer rows, a weaker LP relaxation: faster per node, more nodes.
"""

from __future__ import annotations

from placement.formulations import components as c
from placement.milp.linear_model import LinearModel
from placement.model.data import ModelData


def build(data: ModelData) -> tuple[LinearModel, c.Columns]:
    model = LinearModel()
    cols = c.add_site_variables(model, data)
    c.add_training_variables(model, data, cols)
    c.add_serving_variables(model, data, cols)
    c.add_unserved_variables(model, data, cols)
    c.add_assign_training(model, data, cols)
    c.add_assign_demand(model, data, cols)
    c.add_aggregate_linking(model, data, cols)
    c.add_power(model, data, cols)
    c.add_liquid_cooling(model, data, cols, per_pair=False)
    c.add_space(model, data, cols)
    c.add_max_sites(model, data, cols)
    c.add_max_training_sites(model, data, cols, per_pair=False)
    c.add_carbon_cap(model, data, cols)
    return model, cols
