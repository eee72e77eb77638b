"""MES HTTP API (operators): production jobs and their actions. It never computes a price."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from system.agreement import mes_state
from system.kernel.errors import Problem
from system.mes import production
from system.mes.deps import PrincipalDep, UowDep
from system.mes.domain import InvalidAction, JobState, OrderStage, PricingJob, PricingState, ProductionJob

router = APIRouter(prefix="/production-jobs", tags=["production"])
orders_router = APIRouter(prefix="/orders", tags=["orders"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid credentials"},
    403: {"description": "Operators only"},
    404: {"description": "No such production job or order"},
    409: {"description": "The job's state does not allow this action"},
}
Action = Literal["start", "complete", "qc-pass", "qc-fail", "ship"]


class JobLine(BaseModel):
    line_id: uuid.UUID
    file_id: uuid.UUID
    material: str
    process: str
    quantity: int


class JobOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    state: JobState
    attempts: int
    created_at: datetime
    updated_at: datetime
    lines: list[JobLine]

    @classmethod
    def of(cls, job: ProductionJob) -> JobOut:
        return cls(
            id=job.id,
            order_id=job.order_id,
            state=job.state,
            attempts=job.attempts,
            created_at=job.created_at,
            updated_at=job.updated_at,
            lines=[JobLine.model_validate(line) for line in job.lines],
        )


class JobList(BaseModel):
    items: list[JobOut]


class MesOrderOut(BaseModel):
    """MES's view of one order: its stage, its production job, and the one state the agreement check compares."""

    order_id: uuid.UUID
    stage: OrderStage
    job: JobOut | None
    state: str
    lines: int
    production_jobs: int  # more than one is a duplicate effect
    pricing_jobs: int  # more than `lines` is a duplicate effect

    @classmethod
    def of(cls, view: production.OrderView) -> MesOrderOut:
        job = view.job
        return cls(
            order_id=view.order.id,
            stage=view.order.stage,
            job=JobOut.of(job) if job else None,
            state=mes_state(view.order.stage.value, job.state.value if job else None),
            lines=len(view.order.lines),
            production_jobs=len(view.production_jobs),
            pricing_jobs=view.pricing_jobs,
        )


class PricingLineOut(BaseModel):
    """One line's pricing job: done or not, how far, and what the worker last said it was doing."""

    line_id: uuid.UUID
    state: PricingState
    percent: float
    stage: str


class PricingOut(BaseModel):
    """How far the pricing of an order has come: the average of its lines' progress."""

    order_id: uuid.UUID
    percent: float
    lines: list[PricingLineOut]

    @classmethod
    def of(cls, order_id: uuid.UUID, jobs: list[PricingJob]) -> PricingOut:
        lines = [PricingLineOut(line_id=j.line_id, state=j.state, percent=j.percent, stage=j.stage) for j in jobs]
        done = [100.0 if j.settled else j.percent for j in jobs]
        return cls(order_id=order_id, percent=round(sum(done) / len(done), 1) if done else 0.0, lines=lines)


def problem_for(exc: Exception) -> Problem:
    """The problem+json answer to a domain exception a route let through (registered in app.py)."""
    if isinstance(exc, InvalidAction):
        return Problem(409, "invalid-transition", str(exc))
    if isinstance(exc, production.Forbidden):
        return Problem(403, "forbidden", str(exc))
    return Problem(404, "not-found", str(exc))


DOMAIN_ERRORS = (InvalidAction, production.Forbidden, production.NotFound)


@router.get("", response_model=JobList, responses=PROBLEMS, summary="Production jobs, oldest first")
async def list_jobs(principal: PrincipalDep, uow: UowDep, state: Annotated[JobState | None, Query()] = None) -> JobList:
    return JobList(items=[JobOut.of(j) for j in await production.jobs(principal, state, uow=uow)])


@router.get("/{job_id}", response_model=JobOut, responses=PROBLEMS, summary="One production job")
async def get_job(job_id: uuid.UUID, principal: PrincipalDep, uow: UowDep) -> JobOut:
    return JobOut.of(await production.job(principal, job_id, uow=uow))


@router.post("/{job_id}/{action}", response_model=JobOut, responses=PROBLEMS, summary="Advance a production job")
async def act(job_id: uuid.UUID, action: Action, principal: PrincipalDep, uow: UowDep) -> JobOut:
    """start → complete → qc-pass → ship; qc-fail sends the job back to the queue for a reprint."""
    return JobOut.of(await production.act(principal, job_id, action, uow=uow))


@orders_router.get("/{order_id}", response_model=MesOrderOut, responses=PROBLEMS, summary="MES's view of one order")
async def get_order(order_id: uuid.UUID, principal: PrincipalDep, uow: UowDep) -> MesOrderOut:
    """Its stage and production job (operators): what the CRM's view of the order must agree with."""
    return MesOrderOut.of(await production.order_view(principal, order_id, uow=uow))


@orders_router.get(
    "/{order_id}/pricing", response_model=PricingOut, responses=PROBLEMS, summary="How far an order's pricing is"
)
async def get_pricing(order_id: uuid.UUID, principal: PrincipalDep, uow: UowDep) -> PricingOut:
    """The progress of each line's pricing job (the order's customer, or operators): a long quote's progress bar."""
    return PricingOut.of(order_id, await production.pricing_of(principal, order_id, uow=uow))


ROUTERS = (router, orders_router)
