"""CRM persistence: accounts and orders (with lines and timeline) over one transaction's connection."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from system.crm.domain import (
    STUCK_AFTER,
    Account,
    Cancellation,
    CancellationStatus,
    Order,
    OrderLine,
    State,
    TimelineEntry,
)
from system.crm.ports import IdempotencyClaim
from system.crm.schema import accounts, idempotency_keys, order_lines, order_timeline, orders
from system.kernel.messaging.catalogue import Material, PricedBuild, Process, Unit


class SqlAccounts:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, account_id: uuid.UUID) -> Account | None:
        row = (await self.conn.execute(select(accounts).where(accounts.c.id == account_id))).mappings().first()
        return _account(row) if row else None

    async def by_email(self, email: str) -> tuple[Account, str] | None:
        """The account and its password hash."""
        query = select(accounts).where(accounts.c.email == email.strip().lower())
        row = (await self.conn.execute(query)).mappings().first()
        return (_account(row), row["password_hash"]) if row else None

    async def upsert(self, account: Account, password_hash: str) -> None:
        """Insert or update in one statement: replicas seeding the same accounts at start-up raced a
        check-then-insert, and the loser failed to start (a unique violation)."""
        values = {**_account_values(account), "password_hash": password_hash}
        statement = pg_insert(accounts).values(id=account.id, **values)
        await self.conn.execute(statement.on_conflict_do_update(index_elements=[accounts.c.id], set_=values))


def _account_values(a: Account) -> dict[str, Any]:
    return {
        "email": a.email,
        "name": a.name,
        "role": a.role,
        "kind": a.kind,
        "contract_discount_pct": a.contract_discount_pct,
    }


def _account(row: Any) -> Account:
    return Account(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        kind=row["kind"],
        contract_discount_pct=Decimal(row["contract_discount_pct"]),
    )


class SqlOrders:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, order: Order) -> None:
        await self.conn.execute(
            insert(orders).values(id=order.id, customer_id=order.customer_id, **_order_values(order))
        )
        await self.conn.execute(
            insert(order_lines),
            [{"order_id": order.id, "position": n, **_line_values(line)} for n, line in enumerate(order.lines)],
        )
        await self._flush_timeline(order)

    async def get(self, order_id: uuid.UUID, *, for_update: bool = False) -> Order | None:
        """The order with its lines; `for_update` locks it until the transaction ends."""
        query = select(orders).where(orders.c.id == order_id)
        row = (await self.conn.execute(query.with_for_update() if for_update else query)).mappings().first()
        return (await self._load([row]))[0] if row else None

    async def claim_idempotency_key(
        self, customer_id: uuid.UUID, key: str, request_hash: str, order_id: uuid.UUID, *, expires_at: datetime
    ) -> IdempotencyClaim | None:
        """Insert the key, or take it over once expired; a concurrent insert of the same key waits for ours."""
        keys = idempotency_keys
        values = {"request_hash": request_hash, "order_id": order_id, "expires_at": expires_at}
        claim = (
            pg_insert(keys)
            .values(customer_id=customer_id, key=key, **values)
            .on_conflict_do_update(
                index_elements=[keys.c.customer_id, keys.c.key], set_=values, where=keys.c.expires_at < func.now()
            )
            .returning(keys.c.order_id)
        )
        claimed = (await self.conn.execute(claim)).scalar_one_or_none()
        if claimed == order_id:
            return None
        query = select(keys.c.order_id, keys.c.request_hash).where(keys.c.customer_id == customer_id, keys.c.key == key)
        row = (await self.conn.execute(query)).one()
        return IdempotencyClaim(row.order_id, row.request_hash)

    async def purge_expired_keys(self, now: datetime) -> int:
        """Delete the idempotency keys that expired before `now`; return how many."""
        result = await self.conn.execute(delete(idempotency_keys).where(idempotency_keys.c.expires_at < now))
        return int(result.rowcount)

    async def save(self, order: Order) -> None:
        """Write back state, prices and the new timeline entries."""
        await self.conn.execute(update(orders).where(orders.c.id == order.id).values(**_order_values(order)))
        for line in order.lines:
            await self.conn.execute(
                update(order_lines)
                .where(order_lines.c.id == line.id)
                .values(unit_price=line.unit_price, total_price=line.total_price, **_quote_detail(line))
            )
        await self._flush_timeline(order)

    async def find(self, customer_id: uuid.UUID | None, state: State | None, limit: int = 100) -> list[Order]:
        query = select(orders).order_by(orders.c.created_at.desc()).limit(limit)
        if customer_id is not None:
            query = query.where(orders.c.customer_id == customer_id)
        if state is not None:
            query = query.where(orders.c.state == state.value)
        return await self._load(list((await self.conn.execute(query)).mappings()))

    async def stuck(self, now: datetime, limit: int = 500) -> list[Order]:
        """Orders that have stayed in their state longer than that state's limit."""
        late = [and_(orders.c.state == s.value, orders.c.state_since < now - t) for s, t in STUCK_AFTER.items()]
        query = select(orders).where(or_(*late)).order_by(orders.c.state_since).limit(limit)
        return await self._load(list((await self.conn.execute(query)).mappings()))

    async def timeline(self, order_id: uuid.UUID) -> list[TimelineEntry]:
        query = select(order_timeline).where(order_timeline.c.order_id == order_id).order_by(order_timeline.c.id)
        return [
            TimelineEntry(State(r["state"]), r["source"], r["at"], r["message_id"], r["trace_id"], r["note"])
            for r in (await self.conn.execute(query)).mappings()
        ]

    async def count_by_state(self) -> dict[str, int]:

        rows = await self.conn.execute(select(orders.c.state, func.count()).group_by(orders.c.state))
        return {state: int(n) for state, n in rows.all()}

    async def _flush_timeline(self, order: Order) -> None:
        if order.timeline:
            await self.conn.execute(
                insert(order_timeline),
                [
                    {"order_id": order.id, "state": e.state.value, "source": e.source, "message_id": e.message_id,
                     "trace_id": e.trace_id, "at": e.at, "note": e.note}
                    for e in order.timeline
                ],
            )  # fmt: skip
            order.timeline = []

    async def _load(self, rows: list[Any]) -> list[Order]:
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        query = select(order_lines).where(order_lines.c.order_id.in_(ids)).order_by(order_lines.c.position)
        lines: dict[uuid.UUID, list[OrderLine]] = {i: [] for i in ids}
        for r in (await self.conn.execute(query)).mappings():
            lines[r["order_id"]].append(_line(r))
        return [_order(r, lines[r["id"]]) for r in rows]


def _order_values(o: Order) -> dict[str, Any]:
    return {
        "state": o.state.value,
        "total_price": o.total_price,
        "currency": o.currency,
        "failure_reasons": o.failure_reasons,
        "idempotency_key": o.idempotency_key,
        "cancellation_status": o.cancellation.status.value if o.cancellation else None,
        "cancellation_reason": o.cancellation.reason if o.cancellation else None,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
        "state_since": o.state_since,
        "production_seq": o.production_seq,
        "trace_id": o.trace_id,
    }


def _line_values(l: OrderLine) -> dict[str, Any]:  # noqa: E741
    return {
        "id": l.id,
        "file_id": l.file_id,
        "filename": l.filename,
        "sha256": l.sha256,
        "material": l.material.value,
        "process": l.process.value,
        "quantity": l.quantity,
        "lead_time_days": l.lead_time_days,
        "unit": l.unit.value,
        "unit_price": l.unit_price,
        "total_price": l.total_price,
        **_quote_detail(l),
    }


def _quote_detail(line: OrderLine) -> dict[str, Any]:
    """Warnings, breakdown (amounts as decimal strings: JSON has no decimals) and build, as stored."""
    build = line.build.model_dump(mode="json") if line.build else None
    return {"warnings": line.warnings, "breakdown": {k: str(v) for k, v in line.breakdown.items()}, "build": build}


def _line(r: Any) -> OrderLine:
    return OrderLine(
        id=r["id"],
        file_id=r["file_id"],
        filename=r["filename"],
        sha256=r["sha256"],
        material=Material(r["material"]),
        process=Process(r["process"]),
        quantity=r["quantity"],
        lead_time_days=r["lead_time_days"],
        unit=Unit(r["unit"]),
        unit_price=r["unit_price"],
        total_price=r["total_price"],
        warnings=list(r["warnings"]),
        breakdown={name: Decimal(amount) for name, amount in r["breakdown"].items()},
        build=PricedBuild.model_validate(r["build"]) if r["build"] else None,
    )


def _order(r: Any, lines: list[OrderLine]) -> Order:
    return Order(
        id=r["id"],
        customer_id=r["customer_id"],
        lines=lines,
        state=State(r["state"]),
        total_price=r["total_price"],
        currency=r["currency"],
        failure_reasons=list(r["failure_reasons"]),
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        state_since=r["state_since"],
        idempotency_key=r["idempotency_key"],
        production_seq=r["production_seq"],
        trace_id=r["trace_id"],
        cancellation=(
            Cancellation(CancellationStatus(r["cancellation_status"]), r["cancellation_reason"] or "")
            if r["cancellation_status"]
            else None
        ),
    )
