"""Orchestrator endpoint handlers: each takes a ``Context`` and returns a ``Response``.

Collections answer ``{"@odata.context", "@odata.count", "value"}`` (the count is of all
matches, before ``$skip`` / ``$top``); single entities answer the object itself with its
``@odata.context``. Unknown jobs and releases are 404 errorCode 1002; a job of another folder is
unknown. On the cloud shape (``Context.cloud``) classic folders do not exist. Handlers that read
or change jobs and robots first replay the tenant up to the request's time
(``Tenant.advance``). ``ResumeJob`` of a job that is not Suspended is 409 errorCode 1000
(UNCONFIRMED; the spec names ``InvalidJobStateForSuspend``). ``RestartJob`` ``{"jobId": N}``
of a finished job answers 200 with the new Pending job (``startjobs.restart_job``); of a job
that has not ended it is 409 errorCode 1000 (``CannotRestartUnfinishedJob``: status and number
UNCONFIRMED).
``GET /odata/RobotLogs`` serves the folder's jobs' robot log lines (``robotlogs``) with the
OData options; a ``$filter`` that names ``JobKey`` values (``eq`` / ``in``, bare or quoted
GUIDs) generates the lines of those jobs only, and ``$orderby`` ``TimeStamp`` (or none) is
served in one pass (making dicts only of the page's lines when the filter reads no more than
``Level`` and the fields all of a job's lines share); ``GetTotalCount`` answers
``{"value": n}``, the number of matching lines.
``GET /odata/JobTriggers`` lists one ``Timer`` trigger per job that suspended (``New`` while it
waits, ``Fired`` after); other trigger types are not modelled.
``Sessions/…GetMachineSessionRuntimesByFolderId(folderId=N)`` lists the folder's host sessions
(``dtos.machine_session_runtimes``); an unknown ``robotId`` gives no rows, an unknown
``runtimeType`` is 400 / 1000 (UNCONFIRMED); a host in maintenance mode counts as Connected but
not Available in ``GetRuntimesForFolder`` (UNCONFIRMED).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional

from tui_app.sandbox import dispatch, dtos, robotlogs
from tui_app.sandbox.auth import Grant
from tui_app.sandbox.edm import EntityType
from tui_app.sandbox.filters import referenced, required_values
from tui_app.sandbox.jobs import Job
from tui_app.sandbox.odata import Projection, Query, parse_query
from tui_app.sandbox.startjobs import parse_start, restart, start_jobs
from tui_app.sandbox.tenant import Folder, Tenant
from tui_app.sandbox.wire import ApiError, Request, Response, get_ci, json_response


@dataclass(frozen=True)
class Context:
    """Everything a handler needs about one authenticated request."""

    request: Request
    tenant: Tenant
    params: tuple
    grant: Grant
    folder: Optional[Folder]
    #: Orchestrator base URL as the client used it (cloud prefix or server root).
    base_url: str
    now: float
    #: The request came in on the Automation Cloud shape (v20, modern folders only).
    cloud: bool = False

    @property
    def current_folder(self) -> Folder:
        """The folder of a folder-scoped route (the app has checked the folder headers)."""
        assert self.folder is not None, "a folder-scoped route always has a folder"
        return self.folder

    def metadata(self, suffix: str) -> str:
        return f"{self.base_url}/odata/$metadata#{suffix}"


def _collection(ctx: Context, entity_set: str, entity_type: EntityType,
                entities: list) -> Response:
    query = parse_query(ctx.request.query, entity_type)
    page, count = query.apply(entities, entity_type)
    return json_response(200, {
        "@odata.context": ctx.metadata(entity_set + query.projection.context()),
        "@odata.count": count,
        "value": page,
    }, odata=True)


def _single(ctx: Context, entity_set: str, entity_type: EntityType, entity: dict) -> Response:
    projection = parse_query(ctx.request.query, entity_type).projection
    body = {"@odata.context": ctx.metadata(f"{entity_set}{projection.context()}/$entity")}
    body.update(projection.apply(entity, entity_type))
    return json_response(200, body, odata=True)


def _job_not_found(job_id: Any) -> ApiError:
    return ApiError(404, f"Job {job_id} does not exist.", 1002)


def _job(ctx: Context, job_id: int) -> Job:
    ctx.tenant.advance(ctx.now)
    job = ctx.tenant.jobs.get(job_id)
    if job is None or job.folder_id != ctx.current_folder.id:
        raise _job_not_found(job_id)
    return job


def list_folders(ctx: Context) -> Response:
    folders = [dtos.folder_entity(ctx.tenant, f) for f in ctx.tenant.folders.values()
               if not (ctx.cloud and f.classic)]
    return _collection(ctx, "Folders", dtos.FOLDER, folders)


def get_folder(ctx: Context) -> Response:
    folder = ctx.tenant.folders.get(int(ctx.params[0]))
    if folder is None or (ctx.cloud and folder.classic):
        raise ApiError(404, f"Folder {ctx.params[0]} does not exist.", 1002)
    return _single(ctx, "Folders", dtos.FOLDER, dtos.folder_entity(ctx.tenant, folder))


def list_releases(ctx: Context) -> Response:
    releases = [dtos.release_entity(ctx.tenant, r, ctx.cloud)
                for r in ctx.tenant.releases_in(ctx.current_folder)]
    return _collection(ctx, "Releases", dtos.release_type(ctx.cloud), releases)


def get_release(ctx: Context) -> Response:
    release = ctx.tenant.releases.get(int(ctx.params[0]))
    if release is None or release.folder_id != ctx.current_folder.id:
        raise ApiError(404, f"Release {ctx.params[0]} does not exist.", 1002)
    return _single(ctx, "Releases", dtos.release_type(ctx.cloud),
                   dtos.release_entity(ctx.tenant, release, ctx.cloud))


def list_environments(ctx: Context) -> Response:
    environments = [dtos.environment_entity(ctx.tenant, e)
                    for e in ctx.tenant.environments_in(ctx.current_folder)]
    return _collection(ctx, "Environments", dtos.ENVIRONMENT, environments)


def robots_from_folder(ctx: Context) -> Response:
    folder = ctx.tenant.folders.get(int(ctx.params[0]))
    if folder is None or (ctx.cloud and folder.classic):
        raise ApiError(400, "Folder does not exist or the user does not have access to the "
                            "folder.", 1100)
    robots = [dtos.robot_in_folder_entity(ctx.tenant, r)
              for r in ctx.tenant.robots_in_folder(folder)]
    return _collection(ctx, "Robots", dtos.ROBOT_IN_FOLDER, robots)


def list_sessions(ctx: Context) -> Response:
    ctx.tenant.advance(ctx.now)
    busy = ctx.tenant.busy_robot_ids()
    sessions = [dtos.session_entity(ctx.tenant, r, ctx.current_folder, busy, ctx.now)
                for r in ctx.tenant.robots_in_folder(ctx.current_folder)]
    return _collection(ctx, "Sessions", dtos.SESSION, sessions)


def list_jobs(ctx: Context) -> Response:
    ctx.tenant.advance(ctx.now)
    jobs = [dtos.job_entity(ctx.tenant, j, ctx.now, ctx.cloud)
            for j in ctx.tenant.jobs_in(ctx.current_folder)]
    return _collection(ctx, "Jobs", dtos.job_type(ctx.cloud), jobs)


def _single_job(ctx: Context, job: Job) -> Response:
    return _single(ctx, "Jobs", dtos.job_type(ctx.cloud),
                   dtos.job_entity(ctx.tenant, job, ctx.now, ctx.cloud))


def get_job(ctx: Context) -> Response:
    return _single_job(ctx, _job(ctx, int(ctx.params[0])))


def _job_with_key(ctx: Context, key: Any) -> Job:
    ctx.tenant.advance(ctx.now)
    job = ctx.tenant.job_by_key(ctx.current_folder, str(key)) if key is not None else None
    if job is None:
        raise _job_not_found(key)
    return job


def get_job_by_key(ctx: Context) -> Response:
    return _single_job(ctx, _job_with_key(ctx, ctx.params[1]))


def start(ctx: Context) -> Response:
    jobs = start_jobs(ctx.request.json(), ctx.current_folder, ctx.tenant)
    job_type = dtos.job_type(ctx.cloud)
    return json_response(201, {
        "@odata.context": ctx.metadata("Jobs"),
        "value": [Projection().apply(dtos.job_entity(ctx.tenant, j, j.created_at, ctx.cloud),
                                     job_type)
                  for j in jobs],
    }, odata=True)


def _validation(ctx: Context, reasons: list) -> Response:
    body = {"@odata.context": ctx.metadata(dtos.NS + "ValidationResultDto")}
    body.update(dispatch.validation_result(reasons))
    return json_response(200, body, odata=True)


def validate_dynamic_job(ctx: Context) -> Response:
    """``ValidateDynamicJob``: the StartJobs checks and pending reasons; creates nothing."""
    ctx.tenant.advance(ctx.now)
    request = parse_start(ctx.request.json(), ctx.current_folder, ctx.tenant)
    return _validation(ctx, dispatch.diagnose(ctx.tenant, request))


def validate_existing_job(ctx: Context) -> Response:
    """``ValidateExistingJob``: why a Pending job waits, as found when it was created."""
    job = _job(ctx, int(ctx.params[0]))
    return _validation(ctx, list(job.pending_reasons) if job.state == "Pending" else [])


def resume_job(ctx: Context) -> Response:
    job = _job_with_key(ctx, get_ci(_json_object(ctx), "jobKey"))
    if not ctx.tenant.resume_job(job, ctx.now):
        raise ApiError(409, f"Job {job.id} is {job.state}: only a Suspended job can be resumed.",
                       1000)
    return _single_job(ctx, job)


#: ``CannotRestartUnfinishedJob`` (HTTP 409 and the number are UNCONFIRMED).
RESTART_CODE = 1000


def restart_job(ctx: Context) -> Response:
    job_id = get_ci(_json_object(ctx), "jobId")
    if isinstance(job_id, str) and job_id.strip().isdigit():
        job_id = int(job_id)
    if isinstance(job_id, bool) or not isinstance(job_id, int):
        raise ApiError(400, "jobId is required: the id of the job to restart.", 1000)
    job = _job(ctx, job_id)
    if not job.is_final:
        raise ApiError(409, f"Job {job.id} is {job.state}: only a job that ended (Successful, "
                            "Faulted or Stopped) can be restarted.", RESTART_CODE)
    new = restart(ctx.tenant, job)
    return _single(ctx, "Jobs", dtos.job_type(ctx.cloud),
                   dtos.job_entity(ctx.tenant, new, new.created_at, ctx.cloud))


_TIME_ORDER = re.compile(r"TimeStamp(?:\s+(asc|desc))?", re.IGNORECASE)
#: ``LogDto`` properties that differ from line to line of a job (besides ``Level``).
_PER_LINE = frozenset({"TimeStamp", "Message", "RawMessage"})


def _log_entries(ctx: Context) -> tuple:
    """(query, the ``(log, entry)`` of the folder's log lines that match it, oldest first,
    or None when the filter reads a property that only the lines' dicts can answer)."""
    ctx.tenant.advance(ctx.now)
    query: Query = parse_query(ctx.request.query, dtos.LOG)
    text = query.filter_text
    keys = required_values(text, "JobKey") if text else None
    logs = [robotlogs.JobLog(ctx.tenant, job, ctx.now)
            for job in ctx.tenant.jobs_in(ctx.current_folder)
            if job.started_at is not None and (keys is None or job.key in keys)]
    if text and referenced(text) & _PER_LINE:
        return query, logs, None
    keep = None
    if query.predicate is not None:  # it reads Level and the fields every line of a job has
        keep = {(log.job.id, level) for log in logs for level in dtos.LOG_LEVELS.members
                if query.predicate({"Level": level, **log.fields})}
    entries = robotlogs.merged(logs)
    if keep is not None:
        entries = (item for item in entries if (item[0].job.id, item[1][1]) in keep)
    return query, logs, entries


def _line(item: tuple) -> dict:
    log, entry = item
    return log.line(entry)


def list_robot_logs(ctx: Context) -> Response:
    query, logs, entries = _log_entries(ctx)
    order = _TIME_ORDER.fullmatch(query.orderby_text) if query.orderby_text else None
    if order is None and query.orderby_text:
        page, count = query.apply([_line(item) for item in robotlogs.merged(logs)], dtos.LOG)
    else:
        descending = bool(order and (order.group(1) or "").lower() == "desc")
        if entries is None:
            page, count = query.apply_ordered(map(_line, robotlogs.merged(logs)), dtos.LOG,
                                              descending)
        else:
            page, count = query.apply_ordered(entries, dtos.LOG, descending, build=_line)
    return json_response(200, {
        "@odata.context": ctx.metadata("RobotLogs" + query.projection.context()),
        "@odata.count": count, "value": page}, odata=True)


def robot_logs_total_count(ctx: Context) -> Response:
    query, logs, entries = _log_entries(ctx)
    if entries is None:
        entries = query.matches(map(_line, robotlogs.merged(logs)))
    return json_response(200, {"@odata.context": ctx.metadata("Edm.Int64"),
                               "value": sum(1 for _ in entries)}, odata=True)


def list_job_triggers(ctx: Context) -> Response:
    """``GET /odata/JobTriggers``: the timer triggers of the folder's jobs that suspended."""
    ctx.tenant.advance(ctx.now)
    triggers = [dtos.job_trigger_entity(job, ctx.cloud)
                for job in ctx.tenant.jobs_in(ctx.current_folder) if job.trigger_timer is not None]
    return _collection(ctx, "JobTriggers",
                       dtos.JOB_TRIGGER_V20 if ctx.cloud else dtos.JOB_TRIGGER, triggers)


def runtimes_for_folder(ctx: Context) -> Response:
    folder = ctx.tenant.folders.get(int(ctx.params[0]))
    if folder is None or (ctx.cloud and folder.classic):
        raise ApiError(400, "Folder does not exist or the user does not have access to the "
                            "folder.", 1100)
    ctx.tenant.advance(ctx.now)
    return _collection(ctx, "Collection(" + dtos.NS + "MachineRuntimeDto)",
                       dtos.MACHINE_RUNTIME, dtos.runtime_entities(ctx.tenant, folder))


def _stop_strategy(body: dict) -> str:
    value = get_ci(body, "strategy")
    strategy = dtos.STOP_STRATEGIES.member(value) if isinstance(value, (str, int)) else None
    if strategy is None:
        raise ApiError(400, "strategy is required: SoftStop (1) or Kill (2).", 1000)
    return strategy


def _json_object(ctx: Context) -> dict:
    body = ctx.request.json()
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.", 1000)
    return body


def stop_jobs(ctx: Context) -> Response:
    body = _json_object(ctx)
    strategy = _stop_strategy(body)
    job_ids = get_ci(body, "jobIds")
    if not isinstance(job_ids, list) or not job_ids:
        raise ApiError(400, "jobIds must be a non-empty array of job ids.", 1000)
    jobs = []
    for job_id in job_ids:
        if isinstance(job_id, str) and job_id.strip().isdigit():
            job_id = int(job_id)
        if isinstance(job_id, bool) or not isinstance(job_id, int):
            raise _job_not_found(job_id)
        jobs.append(_job(ctx, job_id))
    for job in jobs:
        ctx.tenant.stop_job(job, strategy, ctx.now)
    return Response(200)


def stop_job(ctx: Context) -> Response:
    job = _job(ctx, int(ctx.params[0]))
    ctx.tenant.stop_job(job, _stop_strategy(_json_object(ctx)), ctx.now)
    return Response(200)


def current_user(ctx: Context) -> Response:
    body = {"@odata.context": ctx.metadata("Users/$entity")}
    body.update(dtos.current_user(ctx.grant))
    return json_response(200, body, odata=True)


def machine_session_runtimes(ctx: Context) -> Response:
    """``GetMachineSessionRuntimesByFolderId``: the folder's host sessions per runtime type,
    narrowed by the query parameters ``robotId`` (that robot's session) and ``runtimeType``."""
    folder = ctx.tenant.folders.get(int(ctx.params[0]))
    if folder is None or (ctx.cloud and folder.classic):
        raise ApiError(400, "Folder does not exist or the user does not have access to the "
                            "folder.", 1100)
    ctx.tenant.advance(ctx.now)
    rows = dtos.machine_session_runtimes(ctx.tenant, folder, ctx.now)
    robot_id = ctx.request.query.get("robotId")
    if robot_id is not None:
        if not robot_id.strip().isdigit():
            raise ApiError(400, f"The value '{robot_id}' is not valid for robotId.", 1000)
        robot = ctx.tenant.robots.get(int(robot_id))
        session = ctx.tenant.session_id(robot) if robot else None
        rows = [row for row in rows if row["SessionId"] == session]
    runtime = ctx.request.query.get("runtimeType")
    if runtime is not None:
        kind = dtos.ROBOT_TYPES.member(runtime)
        if kind is None:
            raise ApiError(400, f"The value '{runtime}' is not valid for runtimeType.", 1000)
        rows = [row for row in rows if row["RuntimeType"] == kind]
    return _collection(ctx, "Collection(" + dtos.NS + "MachineSessionRuntimeDto)",
                       dtos.MACHINE_SESSION_RUNTIME, rows)
