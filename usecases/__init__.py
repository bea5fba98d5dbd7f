"""What a coach does, each in one function: the change, its consequences in the other packages
(reminders, class notices, coaching plans) and the audit, in the caller's one transaction, and
an outcome returned. Handlers, commands and workers parse, authorize the route, call one of these
and render what it returns; none of them repeats a consequence.

    classes.py        enrol and unenrol; move or cancel one occurrence or the whole class
    prescriptions.py  approve a draft, approve a weekly progression (coaching texts follow both)
    assessments.py    record an assessment
    texts.py          send a manual text
    alerts.py         acknowledge an alert (announced to every view)
    staff_settings.py a staff member's own language and time zone

Object-level access is checked here (`coach.access`, NotVisible: "not found" to the caller), so
no caller can forget it. The model is `messaging/inbound.py` (`InboundOutcome`), the use case of
a text arriving.

Imports run `web -> usecases -> rtc, messaging, scheduler -> coach`.
"""
