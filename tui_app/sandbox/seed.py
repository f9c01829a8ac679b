"""The demo tenant, and the optional generated "Scale" folder.

Folders 1 "Shared", 2 "Shared/Support", 3 "Finance", 8 "Workshop" and 9 "Operations" are
modern; 4 "Default"
is classic with environments "QuickstartDemo" (11), "Production" (12) and "Overnight" (15).
``scale=N`` adds classic folder 5 "Scale" with environment "ScaleEnv" (13), N//2 robots (ids
from 100001) and N releases "Process00001_ScaleEnv"....; ``hostile=True`` adds the
hostile-text folders 6 "Hostile" (classic) and 7 below it (modern), see
``tui_app.sandbox.hostile``.

The cases the demo shows (robot ids in brackets):

- "Shared" has no robot users: any start there answers 409 (no unattended robot);
- Busy robots SUPPORT-BOT-02 (102), svc-support-02 (302) and NIGHT-BOT-01 (104) finish their
  other work ``busy_seconds`` after a job starts waiting on them; "NightlyBatch_Overnight"
  has only NIGHT-BOT-01, so its jobs wait Pending first;
- Disconnected robots SUPPORT-BOT-03 (103) and fin-bot-02 (402) connect ``reconnect_seconds``
  after a job starts waiting on them (a Specific start on 103 shows Pending, then Running);
- modern machines have runtime slots: Support's hosts one Unattended and one NonProduction
  each, Finance's one Unattended each (a NonProduction start there is refused with 2818),
  Workshop's WS-HOST-A one Unattended and one Headless;
- "Workshop": robot users ws-bot-01 (801, can run jobs), ada.lovelace (802, an Attended
  robot) and ws-bot-nocreds (803, no unattended credentials): naming 802 or 803 is refused;
  releases "FormFiller" (a foreground process: refused on a Headless runtime),
  "MonthEndClose" (long-running: suspends, waits on a timer, resumes; its robot log has
  1,500 activity lines, more than one page) and "LegacyErpSync" (every job faults with a
  structured error, the workstation being in use by another user: one Fatal log line).

- "Operations" (``seed_operations``): the machine template "SAP-VMs" (the hosts with the SAP
  client) with hosts SAP-VM-01 (robot sap-bot-01, 701, Available; host session 5701),
  SAP-VM-02 (sap-bot-02, 702, in maintenance mode; 5702) and SAP-VM-03 (sap-bot-03, 703,
  Disconnected and unresponsive for good; 5703), one Unattended runtime each, and the standard
  machine OPS-HOST-A (ops-bot-01, 704; 5704) with one Unattended and one NonProduction runtime.
  Releases "SapInvoicePosting" (JobPriority High), "OpsReportSuite" (three entry points, each
  with its own arguments), "AuditExport" (JobPriority Low; its output arguments are over
  10,000 characters: an ``OutputFile`` on the cloud shape) and "UrgentPayments"
  (SpecificPriorityValue 90).

Queues (``seed_queues``, ``tui_app.sandbox.queues``): "InvoiceIntake" (1) in "Finance", with a
``SpecificDataJsonSchema`` using every kind of field (``INVOICE_SCHEMA``), consumed by the
release "InvoiceIntake" (7, robot fin-bot-01) with one automatic retry; "Notes" (2) in
"Shared/Support" without a schema and not consumed (its items stay New); "AccountResets" (3) in
"Shared/Support" with unique references, consumed by "PasswordReset" (6, robot
svc-support-01), no retries.

Every job that runs writes a robot log (``tui_app.sandbox.robotlogs``); a job with an input
argument starting "FAIL" ends with an Error line.
"""

from __future__ import annotations

import json

from tui_app.sandbox.config import SandboxConfig
from tui_app.sandbox.hostile import seed_hostile
from tui_app.sandbox.jobs import JobFault
from tui_app.sandbox.seedkit import CORELIB, MSCORLIB, SEED_TIME, STRING, _in, _out, _t
from tui_app.sandbox.tenant import EntryPoint, Tenant, arguments_json

SUPPORT_TRIAGE_INPUT = [_in("IncidentId", STRING, required=True)]

SHOWCASE_INPUT = [
    _in("Text", STRING, required=True),
    _in("Letter", _t("System.Char", CORELIB)),
    _in("Count", _t("System.Int32"), required=True),
    _in("BigCount", _t("System.Int64", CORELIB)),
    _in("SmallByte", _t("System.Byte")),
    _in("ShortNumber", _t("System.Int16", CORELIB)),
    _in("Unsigned", _t("System.UInt32")),
    _in("Amount", _t("System.Decimal", CORELIB)),
    _in("Ratio", _t("System.Double"), has_default=True),
    _in("Weight", _t("System.Single", CORELIB)),
    _in("Approved", _t("System.Boolean"), has_default=True),
    _in("DueDate", _t("System.DateTime", CORELIB)),
    _in("DueOffset", _t("System.DateTimeOffset")),
    _in("Timeout", _t("System.TimeSpan", CORELIB), has_default=True),
    _in("Tags", _t("System.String[]")),
    _in("Scores", _t("System.Int32[]", CORELIB)),
    _in("Names", f"System.Collections.Generic.List`1[[{STRING}]], {MSCORLIB}"),
    _in("Settings", "System.Collections.Generic.Dictionary`2"
                    f"[[{STRING}],[{_t('System.Object')}]], {MSCORLIB}"),
    _in("Rows", "System.Data.DataTable, System.Data, Version=4.0.0.0, Culture=neutral, "
                "PublicKeyToken=b77a5c561934e089"),
    _in("Payload", "Newtonsoft.Json.Linq.JObject, Newtonsoft.Json, Version=13.0.0.0, "
                   "Culture=neutral, PublicKeyToken=30ad4fe6b2a6aeed"),
    _in("MaybeCount", f"System.Nullable`1[[{_t('System.Int32')}]], {MSCORLIB}"),
    _in("Custom", "Acme.Billing.Invoice, Acme.Billing, Version=1.0.0.0, Culture=neutral, "
                  "PublicKeyToken=null"),
]


def build_tenant(config: SandboxConfig) -> Tenant:
    """A fresh tenant with the demo data (and the Scale folder when ``config.scale``)."""
    tenant = Tenant(config)
    seed_demo(tenant, config)
    seed_operations(tenant)
    seed_queues(tenant)
    if config.scale:
        seed_scale(tenant, config.scale)
    if config.hostile:
        seed_hostile(tenant)
    return tenant


WORKSTATION_IN_USE = JobFault(
    info=("Could not start executor. The workstation is in use by another user: a user other "
          "than the robot's is logged on to WS-HOST-A's console, so the robot cannot open its "
          "session there."),
    code="Robot.WorkstationInUse",
    title="The workstation is in use by another user",
    detail=("ws-bot-01 could not log on to WS-HOST-A: another user has an interactive session "
            "on its console. Sign that user out, or let the robot use a separate session."),
    category="Deployment")


def seed_demo(tenant: Tenant, config: SandboxConfig) -> None:
    add = tenant.add_folder
    add("Shared", folder_id=1, key="5b0e9a53-3c61-4f0e-9d3b-0f6a7c1e2d41")
    add("Support", parent_id=1, folder_id=2, key="c7d2f0a8-51e4-4b8e-a0f3-9e8d7c6b5a42")
    add("Finance", folder_id=3, key="0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c43")
    add("Default", classic=True, folder_id=4, key="e4f5a6b7-c8d9-4e0f-a1b2-c3d4e5f6a744")
    add("Workshop", folder_id=8, key="6d1c3b5a-8e7f-4a2b-9c0d-1e2f3a4b5c48")
    busy: dict = {"free_after": config.busy_seconds}
    offline: dict = {"reconnect_after": config.reconnect_seconds}

    quickstart = tenant.add_environment(4, "QuickstartDemo", environment_id=11,
                                        description="Robots for trying processes out")
    production = tenant.add_environment(4, "Production", environment_id=12,
                                        description="Production robots")
    overnight = tenant.add_environment(4, "Overnight", environment_id=15,
                                       description="The robot of the night batch")
    for robot_id, name, machine, state, environment, timers in (
        (101, "SUPPORT-BOT-01", "SUPPORT-VM-01", "Available", quickstart.id, {}),
        (102, "SUPPORT-BOT-02", "SUPPORT-VM-02", "Busy", quickstart.id, busy),
        (103, "SUPPORT-BOT-03", "SUPPORT-VM-03", "Disconnected", quickstart.id, offline),
        (201, "PROD-BOT-01", "PROD-VM-01", "Available", production.id, {}),
        (202, "PROD-BOT-02", "PROD-VM-02", "Available", production.id, {}),
        (104, "NIGHT-BOT-01", "NIGHT-VM-01", "Busy", overnight.id, busy),
    ):
        tenant.add_robot(name, machine, state, environment_id=environment, robot_id=robot_id,
                         **timers)
    support = {"Unattended": 1, "NonProduction": 1}
    for robot_id, name, machine, state, folder_id, options in (
        (301, "svc-support-01", "SUPPORT-HOST-A", "Available", 2, {"runtimes": support}),
        (302, "svc-support-02", "SUPPORT-HOST-B", "Busy", 2, {"runtimes": support, **busy}),
        (401, "fin-bot-01", "FIN-HOST-A", "Available", 3, {"runtimes": {"Unattended": 1}}),
        (402, "fin-bot-02", "FIN-HOST-B", "Disconnected", 3,
         {"runtimes": {"Unattended": 1}, **offline}),
        (801, "ws-bot-01", "WS-HOST-A", "Available", 8,
         {"runtimes": {"Unattended": 1, "Headless": 1}}),
        (802, "ada.lovelace", "WS-DESK-ADA", "Available", 8,
         {"runtimes": {}, "robot_type": "Attended"}),
        (803, "ws-bot-nocreds", "WS-HOST-C", "Available", 8,
         {"runtimes": {"Unattended": 1}, "has_credentials": False}),
    ):
        tenant.add_robot(name, machine, state, folder_id=folder_id, robot_id=robot_id,
                         **options)

    triage_output = arguments_json([_out("TriageResult", STRING), _out("AssignedQueue", STRING)])
    release = tenant.add_release
    release(4, "SupportTriage_QuickstartDemo", "SupportTriage", "1.0.1", id=1,
            key="99587436-4ce5-480d-988c-6d7f43787a2c", environment_id=quickstart.id,
            description="Triage a support incident and route it to the right queue",
            arguments_input=arguments_json(SUPPORT_TRIAGE_INPUT),
            arguments_output=triage_output, target_framework="Legacy", created_at=SEED_TIME)
    release(4, "SupportTriage_Production", "SupportTriage", "1.0.0", id=2,
            key="3f2b8c1d-7a64-4e2b-9c85-2d1e0f7a6b52", is_latest_version=False,
            environment_id=production.id,
            description="Triage a support incident and route it to the right queue",
            arguments_input=arguments_json(SUPPORT_TRIAGE_INPUT),
            arguments_output=triage_output, target_framework="Legacy", created_at=SEED_TIME)
    release(4, "CleanupTempFiles_QuickstartDemo", "CleanupTempFiles", "2.3.0", id=3,
            key="a1c4e7f0-2b5d-4e8a-b1c4-d7e0f3a6b953", environment_id=quickstart.id,
            description="Delete temporary files older than a week", target_framework="Legacy",
            created_at=SEED_TIME)
    release(4, "ReportGenerator_QuickstartDemo", "ReportGenerator", "1.4.0", id=4,
            key="d2e5f8a1-4c7b-4a0d-93e6-f9b2c5d8e154", environment_id=quickstart.id,
            description="Build the weekly support report",
            input_arguments='{"Region":"EMEA","IncludeArchived":false}',
            arguments_input=arguments_json([
                _in("Region", STRING, required=True),
                _in("IncludeArchived", _t("System.Boolean"), has_default=True),
                _in("ReportDate", _t("System.DateTime")),
            ]), target_framework="Legacy", created_at=SEED_TIME)
    release(1, "HelloWorld", "HelloWorld", "1.0.0", id=5,
            key="7e1a4d7b-0c3f-4f6a-8d9c-2b5e8f1a4d55", description="Say hello",
            arguments_input=arguments_json([_in("Name", STRING, has_default=True)]),
            created_at=SEED_TIME)
    release(2, "PasswordReset", "PasswordReset", "2.1.0", id=6,
            key="b8c1d4e7-5f2a-4c9b-a6d3-e0f7a4b1c856", description="Reset a user's password",
            arguments_input=arguments_json([
                _in("UserEmail", STRING, required=True),
                _in("NotifyManager", _t("System.Boolean"), has_default=True),
                _in("TicketOpened", _t("System.DateTimeOffset")),
            ]), created_at=SEED_TIME)
    release(3, "InvoiceIntake", "InvoiceIntake", "3.0.2", id=7,
            key="f4a7b0c3-9d6e-4b1f-8e2a-c5d8f1b4e757", description="Register an incoming invoice",
            arguments_input=arguments_json([
                _in("InvoiceNumber", STRING, required=True),
                _in("Amount", _t("System.Decimal"), required=True),
                _in("Currency", STRING, has_default=True),
            ]), created_at=SEED_TIME)
    release(3, "ArgumentShowcase", "ArgumentShowcase", "1.0.0", id=8,
            key="2c5f8b1e-6a9d-4c2f-b5e8-a1d4c7f0b358",
            description="Every kind of input argument, for trying the argument editor",
            arguments_input=arguments_json(SHOWCASE_INPUT, pretty=True), created_at=SEED_TIME)
    release(4, "NightlyBatch_Overnight", "NightlyBatch", "1.2.0", id=9,
            key="8b3e6f9c-2d5a-4b8e-a1c4-7f0b3e6d9a59", environment_id=overnight.id,
            description="Close the day's books (its only robot is busy)",
            target_framework="Legacy", created_at=SEED_TIME)
    release(8, "FormFiller", "FormFiller", "1.0.0", id=10,
            key="4c7f0a3d-9e2b-4d5c-8f1a-6b9e2c5f8d60", requires_user_interaction=True,
            description="Fill in a web form on screen (a foreground process)",
            created_at=SEED_TIME)
    release(8, "MonthEndClose", "MonthEndClose", "2.0.0", id=11,
            key="e1a4d7b0-3c6f-4e9a-b2d5-8f1c4a7e0b61", running_seconds=6.0,
            suspend_after=2.0, suspend_seconds=8.0, log_lines=1500,
            description="Long-running: suspends until its timer fires, then resumes",
            created_at=SEED_TIME)
    release(8, "LegacyErpSync", "LegacyErpSync", "1.0.3", id=12,
            key="5f8b1e4a-7d0c-4a3f-9b6e-2c5f8a1d4e62", running_seconds=0.5,
            fault=WORKSTATION_IN_USE,
            description="Sync with the old ERP (its machine's console is in use)",
            created_at=SEED_TIME)


OPS_REPORT_ENTRY_POINTS = (
    EntryPoint("Main.xaml",
               arguments_json([_in("ReportDate", _t("System.DateTime"), required=True)]),
               arguments_json([_out("Summary", STRING)])),
    EntryPoint("Flows/Extract.xaml",
               arguments_json([_in("SourceSystem", STRING, required=True),
                               _in("Since", _t("System.DateTime"))]),
               arguments_json([_out("RowCount", _t("System.Int32"))])),
    EntryPoint("Flows/Report.xaml",
               arguments_json([_in("Recipients", _t("System.String[]"), required=True),
                               _in("Format", STRING, has_default=True)]),
               arguments_json([_out("ReportUrl", STRING)])),
)


def seed_operations(tenant: Tenant) -> None:
    """Modern folder 9 "Operations": a machine template with hosts in different states, a
    standard machine, release priorities, entry points and a large output."""
    folder = tenant.add_folder("Operations", folder_id=9,
                               key="9e3a6c1f-4b7d-4e2a-8f5c-0d3b6e9a1c49")
    template = {"machine_template": "SAP-VMs", "runtimes": {"Unattended": 1}}
    for robot_id, name, host, state, options in (
        (701, "sap-bot-01", "SAP-VM-01", "Available", template),
        (702, "sap-bot-02", "SAP-VM-02", "Available", {**template, "maintenance": True}),
        (703, "sap-bot-03", "SAP-VM-03", "Disconnected", template),
        (704, "ops-bot-01", "OPS-HOST-A", "Available",
         {"runtimes": {"Unattended": 1, "NonProduction": 1}}),
    ):
        tenant.add_robot(name, host, state, folder_id=folder.id, robot_id=robot_id, **options)
    release = tenant.add_release
    release(folder.id, "SapInvoicePosting", "SapInvoicePosting", "1.2.0", id=13,
            key="1b4e7a0d-3f6c-4a9e-b2d5-8e1f4a7c0d63", job_priority="High",
            description="Post an invoice in SAP (needs a host with the SAP client)",
            arguments_input=arguments_json([_in("InvoiceNumber", STRING, required=True),
                                            _in("CompanyCode", STRING, has_default=True)]),
            created_at=SEED_TIME)
    release(folder.id, "OpsReportSuite", "OpsReportSuite", "3.1.0", id=14,
            key="6a9d2c5f-8b1e-4d4a-a7c0-3f6b9e2d5a64", entry_points=OPS_REPORT_ENTRY_POINTS,
            description="Operations reports: the whole run, or only extract, or only report",
            created_at=SEED_TIME)
    release(folder.id, "AuditExport", "AuditExport", "1.0.0", id=15,
            key="c3f6a9d2-5e8b-4c1f-9a4d-7b0e3c6f9a65", job_priority="Low", large_output=True,
            description="Export the audit trail (its output is over 10,000 characters)",
            arguments_input=arguments_json([_in("Days", _t("System.Int32"), has_default=True)]),
            arguments_output=arguments_json([_out("AuditLog", STRING),
                                             _out("Entries", _t("System.Int32"))]),
            created_at=SEED_TIME)
    release(folder.id, "UrgentPayments", "UrgentPayments", "1.0.1", id=16,
            key="e5b8d1a4-7c0f-4e3b-8d6a-9f2c5e8b1d66", specific_priority_value=90,
            description="Release payments held for approval (a specific priority of 90)",
            arguments_input=arguments_json([_in("BatchId", STRING, required=True)]),
            created_at=SEED_TIME)


def seed_scale(tenant: Tenant, count: int) -> None:
    """Classic folder "Scale": ``count`` releases and ``count // 2`` robots in "ScaleEnv"."""
    folder = tenant.add_folder("Scale", classic=True, folder_id=5)
    environment = tenant.add_environment(folder.id, "ScaleEnv", environment_id=13)
    states = ("Available", "Available", "Available", "Busy", "Disconnected")
    for number in range(1, count // 2 + 1):
        tenant.add_robot(f"SCALE-BOT-{number:05d}", f"SCALE-VM-{number:05d}",
                         states[number % len(states)], environment_id=environment.id,
                         robot_id=100000 + number)
    arguments_input = arguments_json([
        _in("InputText", STRING, required=True),
        _in("Count", _t("System.Int32"), has_default=True),
    ])
    arguments_output = arguments_json([_out("Result", STRING)])
    first_id = max(tenant.releases, default=0) + 1
    for number in range(1, count + 1):
        process = f"Process{number:05d}"
        tenant.add_release(folder.id, f"{process}_ScaleEnv", process, f"1.0.{number % 10}",
                           id=first_id + number - 1, key=tenant.new_key(),
                           environment_id=environment.id, description=f"Generated process {number}",
                           arguments_input=arguments_input, arguments_output=arguments_output,
                           created_at=SEED_TIME)


#: InvoiceIntake's ``SpecificDataJsonSchema``: every type, nested and array fields, the
#: string, number and date rules.
INVOICE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["InvoiceNumber", "Vendor", "Amount", "Currency"],
    "properties": {
        "InvoiceNumber": {"type": "string", "pattern": "^INV-[0-9]{4,8}$",
                          "description": "INV- and 4 to 8 digits"},
        "Vendor": {"type": "string", "minLength": 2, "maxLength": 80},
        "Amount": {"type": "number", "minimum": 0.01, "maximum": 1000000,
                   "description": "Over 10,000 needs a manual approval"},
        "Quantity": {"type": "integer", "minimum": 1, "maximum": 10000},
        "Paid": {"type": "boolean"},
        "ReceivedAt": {"type": "string", "format": "date-time"},
        "DueOn": {"type": "string", "format": "date"},
        "Currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]},
        "BillingAddress": {
            "type": "object", "required": ["City"],
            "properties": {"Street": {"type": "string"}, "City": {"type": "string", "minLength": 1},
                           "PostalCode": {"type": "string", "pattern": "^[0-9A-Z -]{3,10}$"}}},
        "Tags": {"type": "array", "items": {"type": "string", "maxLength": 20}},
        "Lines": {"type": "array", "items": {
            "type": "object", "required": ["Sku"],
            "properties": {"Sku": {"type": "string"},
                           "Quantity": {"type": "integer", "minimum": 1}}}},
    },
}


def seed_queues(tenant: Tenant) -> None:
    """The demo queues (see the module docstring)."""
    tenant.add_queue(3, "InvoiceIntake", id=1, key="3c6f9b2e-5a8d-4e1b-9c4f-7a0d3b6e9c01",
                     description="Incoming invoices to register (processed by InvoiceIntake)",
                     specific_data_json_schema=json.dumps(INVOICE_SCHEMA, indent=2),
                     max_number_of_retries=1, accept_automatically_retry=True,
                     sla_in_minutes=60, risk_sla_in_minutes=45, release_id=7,
                     created_at=SEED_TIME)
    tenant.add_queue(2, "Notes", id=2, key="8e1b4d7a-0c3f-4a6d-b9e2-5f8c1a4d7b02",
                     description="Free-form notes for the support team", created_at=SEED_TIME)
    tenant.add_queue(2, "AccountResets", id=3, key="d4a7c0f3-6b9e-4c2a-8f5d-1e4b7a0d3c03",
                     description="Password resets to do (one per ticket reference)",
                     enforce_unique_reference=True, release_id=6, created_at=SEED_TIME)
