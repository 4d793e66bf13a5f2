package io.kiln.plan.schedule;

/** What the layer planner answers for one node on one unit: a plan, or why none exists. */
public sealed interface LayerPlanResult permits LayerPlan, Unplannable {}
