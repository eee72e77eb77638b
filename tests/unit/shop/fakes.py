"""In-memory fakes of the services behind the Shop (CRM, MES, File Service and S3), behind one httpx transport.

They answer the way the real services' HTTP APIs do (JSON, problem+json with codes, bearer tokens), so the Shop's
real clients run against them unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from system.crm.domain import HOLDERS, STUCK_AFTER, State
from system.mesh.errors import InvalidModel
from system.mesh.units import likely_units
from system.mesh.validate import validate_model

CRM, MES, FILES = "http://crm.test", "http://mes.test", "http://files.test"
CUSTOMER_ACTIONS = {
    "pricing": ["cancel"],
    "quoted": ["confirm", "cancel"],
    "pricing_failed": ["cancel"],
    "confirmed": ["cancel"],
}
JOB_MOVES = {
    ("queued", "start"): "printing",
    ("printing", "complete"): "qc",
    ("qc", "qc-pass"): "passed",
    ("qc", "qc-fail"): "queued",
    ("passed", "ship"): "shipped",
}


def now() -> str:
    return datetime.now(UTC).isoformat()


def problem(status: int, code: str, detail: str) -> httpx.Response:
    body = {"type": f"https://errors.orders.example/{code}", "title": code, "status": status, "detail": detail}
    return httpx.Response(status, json={**body, "code": code}, headers={"content-type": "application/problem+json"})


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else {}


@dataclass
class FakeCrm:
    """Accounts, tokens and orders with their lifecycle; records every request it gets."""

    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # by email, with the password
    tokens: dict[str, str] = field(default_factory=dict)  # token -> email
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    timelines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> order id
    requests: list[httpx.Request] = field(default_factory=list)
    known_files: dict[str, dict[str, Any]] = field(default_factory=dict)  # the File Service's, for filenames
    stuck: list[str] = field(default_factory=list)  # ids GET /orders/stuck reports
    failing: set[str] = field(default_factory=set)  # paths that answer 500
    dead_letters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by order id, as the DLQs hold them
    broker_down: bool = False  # GET /orders/{id}/position answers 503, as the CRM does when RabbitMQ is unreachable

    def add_account(self, email: str, password: str, role: str = "customer", **extra: Any) -> dict[str, Any]:
        account: dict[str, Any] = {"id": str(uuid.uuid4()), "email": email, "role": role}
        account |= {"name": email.split("@")[0].title(), "kind": "b2c" if role == "customer" else None}
        account |= {"contract_discount_pct": "0.00", **extra}
        self.accounts[email] = {**account, "password": password}
        return account

    def caller(self, request: httpx.Request) -> dict[str, Any] | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        email = self.tokens.get(token)
        return self.accounts[email] if email else None

    def set_state(self, order_id: str, state: str, *, source: str = "mes", note: str = "") -> None:
        """Move an order as the CRM would on an event from elsewhere (pricing, production)."""
        order = self.orders[order_id]
        order.update(state=state, updated_at=now(), state_since=now())
        self.timelines[order_id].append({"state": state, "source": source, "message_id": None, "trace_id": None})
        self.timelines[order_id][-1] |= {"at": now(), "note": note}

    def overstay(self, order_id: str) -> None:
        """Make the order stuck: in its state since an hour longer than the state's limit (it must have one)."""
        since = datetime.now(UTC) - STUCK_AFTER[State(self.orders[order_id]["state"])] - timedelta(hours=1)
        self.orders[order_id]["state_since"] = since.isoformat()
        self.stuck.append(order_id)

    def dead_letter(self, order_id: str, type_: str, attempts: int, reason: str) -> None:
        """A message about the order, dead-lettered from the CRM's queue."""
        letter = {"queue": "crm.mes-events", "message_id": str(uuid.uuid4()), "type": type_, "attempts": attempts}
        self.dead_letters.setdefault(order_id, []).append({**letter, "reason": reason})

    def quote(self, order_id: str, unit_price: str, warnings: list[str] | None = None) -> None:
        """The quote arrives: every line gets `unit_price`."""
        total = 0.0
        for line in self.orders[order_id]["lines"]:
            line_total = float(unit_price) * line["quantity"]
            line.update(unit_price=unit_price, total_price=f"{line_total:.2f}", warnings=warnings or [])
            total += line_total
        self.orders[order_id]["total_price"] = f"{total:.2f}"
        self.set_state(order_id, "quoted", note="priced")

    def view(self, order: dict[str, Any]) -> dict[str, Any]:
        # Like the real CRM: allowed_actions are the customer's; deliver is checked by role when called.
        return {**order, "allowed_actions": list(CUSTOMER_ACTIONS.get(order["state"], []))}

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path, method = request.url.path, request.method
        if path in self.failing:
            return problem(500, "internal-error", "An unexpected error occurred; it has been logged.")
        if path == "/healthz":
            return httpx.Response(200, json={"status": "ok"})
        if (method, path) == ("POST", "/auth/login"):
            creds = body_of(request)
            account = self.accounts.get(creds.get("email", ""))
            if not account or account["password"] != creds.get("password"):
                return problem(401, "invalid-credentials", "Wrong email or password.")
            token = uuid.uuid4().hex
            self.tokens[token] = account["email"]
            public = {k: v for k, v in account.items() if k != "password"}
            return httpx.Response(200, json={"access_token": token, "token_type": "bearer", "account": public})
        caller = self.caller(request)
        if caller is None:
            return problem(401, "unauthorized", "Missing or invalid bearer token.")
        return self._authorised(request, caller)

    def _authorised(self, request: httpx.Request, caller: dict[str, Any]) -> httpx.Response:
        path, method = request.url.path, request.method
        if path == "/me":
            return httpx.Response(200, json={k: v for k, v in caller.items() if k != "password"})
        if (method, path) == ("POST", "/orders"):
            return self._place(request, caller)
        if (method, path) == ("GET", "/orders"):
            state = request.url.params.get("state")
            seen = [o for o in self.orders.values() if caller["role"] == "operator" or o["customer_id"] == caller["id"]]
            items = [self.view(o) for o in seen if state in (None, o["state"])]
            return httpx.Response(200, json={"items": items})
        if path == "/orders/stuck":
            if caller["role"] != "operator":
                return problem(403, "forbidden", "Operators only.")
            return httpx.Response(200, json={"items": [self.view(self.orders[i]) for i in self.stuck]})
        match = re.fullmatch(r"/orders/([^/]+)(?:/([a-z]+))?", path)
        if match and not re.fullmatch(r"[0-9a-f-]{36}", match.group(1)):
            return problem(422, "validation-error", "path.order_id: Input should be a valid UUID")
        if match and match.group(2) == "position":  # the role first, as the CRM: nothing said of whose order it is
            return self._position(caller, match.group(1))
        order = self.orders.get(match.group(1)) if match else None
        if match is None or order is None or (caller["role"] != "operator" and order["customer_id"] != caller["id"]):
            return problem(404, "not-found", "No such order.")
        action = match.group(2)
        if action is None:
            return httpx.Response(200, json=self.view(order))
        if action == "timeline":
            return httpx.Response(200, json={"items": self.timelines[order["id"]]})
        if action == "deliver" and caller["role"] != "operator":
            return problem(403, "forbidden", "only operators record deliveries")
        allowed = ["deliver"] if order["state"] == "shipped" else self.view(order)["allowed_actions"]
        if action not in allowed:
            return problem(409, "invalid-transition", f"An order in state {order['state']} cannot be {action}ed.")
        target = {"confirm": "confirmed", "cancel": "cancelled", "deliver": "delivered"}[action]
        note = body_of(request).get("reason") or ("cancelled by the customer" if action == "cancel" else "")
        if action == "cancel" and order["state"] == "confirmed":  # as the CRM: a request the factory answers
            order["cancellation"] = {"status": "requested", "reason": note}
            self.set_state(order["id"], "cancellation_requested", source="crm", note=note)
            return httpx.Response(202, json=self.view(order))
        self.set_state(order["id"], target, source="crm", note=note)
        return httpx.Response(200, json=self.view(order))

    def _position(self, caller: dict[str, Any], order_id: str) -> httpx.Response:
        if caller["role"] != "operator":
            return problem(403, "forbidden", "only operators look up where an order is")
        if (order := self.orders.get(order_id)) is None:
            return problem(404, "not-found", f"no order {order_id}")
        if self.broker_down:
            return problem(503, "broker-unavailable", "RabbitMQ is unavailable.")
        state, checked = State(order["state"]), datetime.now(UTC)
        elapsed = (checked - datetime.fromisoformat(order["state_since"])).total_seconds()
        limit = STUCK_AFTER[state].total_seconds() if state in STUCK_AFTER else None
        body = {"order_id": order_id, "customer_id": order["customer_id"], "state": state.value}
        body |= {"since": order["state_since"], "in_state_seconds": elapsed, "limit_seconds": limit}
        body |= {"stuck": limit is not None and elapsed > limit, "holder": HOLDERS[state]}
        body |= {"trace_id": order.get("trace_id"), "timeline": self.timelines[order_id]}
        body |= {"dead_letters": self.dead_letters.get(order_id, []), "dead_letters_complete": True}
        return httpx.Response(200, json={**body, "checked_at": checked.isoformat()})

    def _place(self, request: httpx.Request, caller: dict[str, Any]) -> httpx.Response:
        key = request.headers.get("idempotency-key")
        if key in self.by_key:
            return httpx.Response(200, json=self.view(self.orders[self.by_key[key]]))  # a replay, as the CRM answers
        lines = body_of(request)["lines"]
        if not lines:
            return problem(422, "validation-error", "lines: an order needs at least one line")
        order_id = str(uuid.uuid4())
        self.orders[order_id] = {
            "id": order_id,
            "customer_id": caller["id"],
            "state": "pricing",
            "created_at": now(),
            "updated_at": now(),
            "state_since": now(),
            "currency": "EUR",
            "total_price": None,
            "lines": [
                {**line, "id": str(uuid.uuid4()), "sha256": "0" * 64}
                | {"filename": line.get("filename") or self._filename(line["file_id"])}
                | {"unit_price": None, "total_price": None, "warnings": []}
                for line in lines
            ],
            "failure_reasons": [],
            "trace_id": uuid.uuid4().hex,  # the trace the order was placed in (its first step's, as in the CRM)
        }
        first = {"state": "pricing", "source": "crm", "message_id": None, "trace_id": self.orders[order_id]["trace_id"]}
        self.timelines[order_id] = [first]
        self.timelines[order_id][0] |= {"at": now(), "note": "order placed"}
        if key:
            self.by_key[key] = order_id
        return httpx.Response(201, json=self.view(self.orders[order_id]))

    def _filename(self, file_id: str) -> str:
        return str(self.known_files.get(file_id, {}).get("filename", "model.stl"))


@dataclass
class FakeMes:
    """Production jobs and their transitions; only operators (as the CRM's tokens say) may use it."""

    crm: FakeCrm
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    pricing: dict[str, dict[str, Any]] = field(default_factory=dict)  # order id -> how far its pricing is

    def progress(self, order_id: str, percent: float, stage: str) -> None:
        """The pricing worker reports progress on the order's (single) line."""
        line = {"line_id": self.crm.orders[order_id]["lines"][0]["id"], "state": "pending", "percent": percent}
        self.pricing[order_id] = {"order_id": order_id, "percent": percent, "lines": [{**line, "stage": stage}]}

    def add_job(self, order_id: str, state: str = "queued") -> dict[str, Any]:
        job_id = str(uuid.uuid4())
        line = {"line_id": str(uuid.uuid4()), "file_id": str(uuid.uuid4()), "material": "pla", "process": "fdm"}
        self.jobs[job_id] = {"id": job_id, "order_id": order_id, "state": state, "attempts": 1}
        self.jobs[job_id] |= {"created_at": now(), "updated_at": now(), "lines": [{**line, "quantity": 2}]}
        return self.jobs[job_id]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        caller = self.crm.caller(request)
        if caller is None:
            return problem(401, "unauthorized", "Missing or invalid bearer token.")
        if pricing := re.fullmatch(r"/orders/([^/]+)/pricing", request.url.path):
            return self._pricing(caller, pricing.group(1))
        if caller["role"] != "operator":
            return problem(403, "forbidden", "Operators only.")
        if request.url.path == "/production-jobs":
            state = request.url.params.get("state")
            return httpx.Response(200, json={"items": [j for j in self.jobs.values() if j["state"] == state]})
        match = re.fullmatch(r"/production-jobs/([^/]+)/([a-z-]+)", request.url.path)
        job = self.jobs.get(match.group(1)) if match else None
        if match is None or job is None:
            return problem(404, "not-found", "No such job.")
        target = JOB_MOVES.get((job["state"], match.group(2)))
        if target is None:
            return problem(409, "invalid-transition", f"A {job['state']} job cannot {match.group(2)}.")
        job.update(state=target, updated_at=now())
        return httpx.Response(200, json=job)

    def _pricing(self, caller: dict[str, Any], order_id: str) -> httpx.Response:
        order = self.crm.orders.get(order_id)
        if order is None or order_id not in self.pricing or order["customer_id"] != caller["id"]:
            return problem(404, "not-found", "MES has no such order.")
        return httpx.Response(200, json=self.pricing[order_id])


@dataclass
class FakeFiles:
    """The File Service and its bucket: presigned single or multipart PUTs, validation with the real mesh reader.

    Its rules are the real service's: every call needs a signed-in caller's token (the CRM's, as the real one
    verifies the CRM's signature); a file is its uploader's (operators see all, anyone else gets 404); only
    the uploader completes an upload; the same bytes are de-duplicated within one account only; and each
    presigned PUT takes exactly the length it was signed for (S3 answers 403 to any other).
    """

    multipart_threshold: int = 1_000
    part_size: int = 400
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> the JSON the service answers
    owners: dict[str, str] = field(default_factory=dict)  # file id -> account id
    puts: list[httpx.Request] = field(default_factory=list)
    crm: FakeCrm = field(default_factory=FakeCrm)  # whose tokens it accepts (FakeServices shares its CRM)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        caller = self.crm.caller(request)
        if caller is None:
            return problem(401, "unauthenticated", "Sign in first: send `Authorization: Bearer <token>`.")
        if (request.method, path) == ("POST", "/files/uploads"):
            return self._start(body_of(request), caller)
        if match := re.fullmatch(r"/files/uploads/([^/]+)/complete", path):
            upload = self.uploads.get(match.group(1))
            if upload is None or upload["account_id"] != caller["id"]:
                return problem(404, "not-found", f"no open upload {match.group(1)}")
            return self._complete(match.group(1), body_of(request).get("parts", []))
        file_id = path.removeprefix("/files/")
        if (file := self.files.get(file_id)) is not None and caller["role"] == "operator":
            return httpx.Response(200, json=file)
        if file is not None and self.owners[file_id] == caller["id"]:
            return httpx.Response(200, json=file)
        return problem(404, "not-found", "No such file.")

    def _start(self, body: dict[str, Any], caller: dict[str, Any]) -> httpx.Response:
        size = body["size"]
        if size == 0:
            return problem(422, "empty-file", "The file is empty (0 bytes).")
        upload_id = str(uuid.uuid4())
        count = -(-size // self.part_size) if size > self.multipart_threshold else 1
        lengths = [size] if count == 1 else [min(self.part_size, size - n * self.part_size) for n in range(count)]
        self.uploads[upload_id] = {**body, "account_id": caller["id"], "parts": {}, "lengths": lengths}
        urls = [f"http://s3.test/bucket/uploads/{upload_id}?partNumber={n}" for n in range(1, count + 1)]
        return httpx.Response(
            201,
            json={
                "upload_id": upload_id,
                "method": "PUT",
                "url": urls[0] if count == 1 else None,
                "parts": [{"part_number": n, "url": u} for n, u in enumerate(urls, 1)] if count > 1 else [],
                "part_size": self.part_size,
                "expires_in": 900,
                "complete_url": f"/files/uploads/{upload_id}/complete",
            },
        )

    def handle_s3(self, request: httpx.Request) -> httpx.Response:
        self.puts.append(request)
        upload = self.uploads[request.url.path.rsplit("/", 1)[-1]]
        number = int(request.url.params.get("partNumber", "1"))
        if len(request.content) != upload["lengths"][number - 1]:  # the signed Content-Length
            return httpx.Response(403, text="<Error><Code>SignatureDoesNotMatch</Code></Error>")
        upload["parts"][number] = request.content
        return httpx.Response(200, headers={"ETag": f'"{hashlib.md5(request.content).hexdigest()}"'})

    def _complete(self, upload_id: str, parts: list[dict[str, Any]]) -> httpx.Response:
        upload = self.uploads.pop(upload_id)
        stored = upload["parts"]
        if len(stored) > 1:
            etags = {n: f'"{hashlib.md5(stored[n]).hexdigest()}"' for n in stored}
            if {p["part_number"]: p["etag"] for p in parts} != etags:
                return problem(409, "upload-incomplete", "The parts reported do not match the parts uploaded.")
        data = b"".join(stored[n] for n in sorted(stored))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model"
            path.write_bytes(data)
            try:
                summary = validate_model(path, max_bytes=10_000_000)
            except InvalidModel as exc:
                return problem(422, exc.code, exc.detail)
        sha256 = hashlib.sha256(data).hexdigest()
        owner = upload["account_id"]
        mine = [i for i, f in self.files.items() if f["sha256"] == sha256 and self.owners[i] == owner]
        if mine:  # the same account had these bytes: its own earlier file (nobody else's is ever told)
            return httpx.Response(200, json={**self.files[mine[0]], "deduplicated": True})
        file_id = str(uuid.uuid4())
        self.owners[file_id] = owner
        self.files[file_id] = {
            "id": file_id,
            "sha256": sha256,
            "size": len(data),
            "filename": upload["filename"],
            "format": summary.format,
            "triangle_count": summary.triangle_count,
            "volume_mm3": summary.volume_mm3,
            "area_mm2": summary.area_mm2,
            "bbox_min": list(summary.bbox_min),
            "bbox_max": list(summary.bbox_max),
            "watertight": summary.watertight,
            "likely_units": [u.value for u in likely_units(summary)],  # as the File Service answers
            "created_at": now(),
            "deduplicated": False,
        }
        return httpx.Response(201, json=self.files[file_id])


@dataclass
class FakeServices:
    """All of them behind one transport; a host listed in `down` refuses connections."""

    crm: FakeCrm = field(default_factory=FakeCrm)
    files: FakeFiles = field(default_factory=FakeFiles)
    down: set[str] = field(default_factory=set)
    mes: FakeMes = field(init=False)

    def __post_init__(self) -> None:
        self.mes = FakeMes(self.crm)
        self.files.crm = self.crm
        self.crm.known_files = self.files.files

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        handler = {"crm.test": self.crm.handle, "mes.test": self.mes.handle, "files.test": self.files.handle}
        return handler.get(host, self.files.handle_s3)(request)
