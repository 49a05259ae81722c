"""The weak formulation: no per-pair linking; capacity rows carry open_f.

Same objective and constraints (1), (2), (2b), (2c), (4), (6), (7) and add-ons (8)–(10) as the
strong formulation, but

    (3') Σ_p x_p ≤ n_f · open_f  only over pairs that use no capacity (zero-demand regions,
         cloud facilities); every other pair is tied to open_f through its capacity row (4).
    (5') Σ_p x_p ≤ n_s · install_s over pairs in option s;  y_v ≤ M_v install_s;
         install_s ≤ open_f
    (7b') Σ_p train_p ≤ K_f · tsite_f

Far fewer rows, a weaker LP relaxation: faster per node, more nodes.
"""

from __future__ import annotations

from placement.formulations import addons
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
    c.add_split_balance(model, data, cols)
    c.add_share_cap(model, data, cols)
    c.add_aggregate_linking(model, data, cols)
    c.add_power(model, data, cols)
    c.add_cooling_linking(model, data, cols, per_pair=False)
    c.add_space(model, data, cols)
    c.add_cloud_quota(model, data, cols)
    c.add_max_sites(model, data, cols)
    c.add_max_training_sites(model, data, cols, per_pair=False)
    c.add_carbon_cap(model, data, cols)
    c.add_capital_budget(model, data, cols)
    addons.add_addons(model, data, cols)
    return model, cols
