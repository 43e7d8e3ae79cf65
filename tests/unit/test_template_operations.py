"""Operating the stack: the API's access log, the alarms and the topic they notify, and the dashboard.

Asserted on the template as SAM transforms it. The dashboard's custom metrics are checked against the metric names
the code emits, found by reading the code (every `add_metric` call), not against a list kept here.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse

from devstack.intrinsics import Resolver
from tests.unit.template_support import TEMPLATE, transform_template

ROOT = Path(__file__).resolve().parents[2]
CODE = [ROOT / "layers" / "core" / "imagepredict", ROOT / "functions", ROOT / "batchworker"]
TOPIC = {"Ref": "AlarmTopic"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml_parse(TEMPLATE.read_text())


@pytest.fixture(scope="module")
def transformed(document: dict[str, Any]) -> dict[str, Any]:
    return transform_template(document)


@pytest.fixture(scope="module")
def resources(transformed: dict[str, Any]) -> dict[str, Any]:
    return transformed["Resources"]


def of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: spec["Properties"] for name, spec in resources.items() if spec["Type"] == kind}


def functions(document: dict[str, Any]) -> list[str]:
    return [name for name, spec in document["Resources"].items() if spec["Type"] == "AWS::Serverless::Function"]


def notifying_alarms(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: alarm
        for name, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items()
        if TOPIC in alarm.get("AlarmActions", [])
    }


# --- the API's access log -----------------------------------------------------------------------------------------
# What a line may carry: who asked (address, user agent), what, and how it went. Never a header, a token, a query
# string or anything an authorizer saw.
ALLOWED_ACCESS_LOG_VARIABLES = {
    "$context.requestId",
    "$context.requestTime",
    "$context.identity.sourceIp",
    "$context.identity.userAgent",
    "$context.httpMethod",
    "$context.routeKey",
    "$context.path",
    "$context.status",
    "$context.responseLatency",
    "$context.integrationLatency",
    "$context.responseLength",
    "$context.integrationErrorMessage",
}


@pytest.fixture(scope="module")
def access_log(resources: dict[str, Any]) -> dict[str, Any]:
    (stage,) = of_type(resources, "AWS::ApiGatewayV2::Stage").values()
    return stage["AccessLogSettings"]


def test_the_api_writes_one_json_line_per_request_with_what_identifies_it(access_log: dict[str, Any]) -> None:
    line = json.loads(access_log["Format"])
    assert {"$context.requestId", "$context.status", "$context.responseLatency", "$context.routeKey"} <= set(
        line.values()
    )
    assert "$context.identity.sourceIp" in line.values()
    assert all(isinstance(value, str) for value in line.values())  # every field quoted: a valid JSON line


def test_the_access_log_holds_no_authorization_or_token(access_log: dict[str, Any]) -> None:
    line = json.loads(access_log["Format"])
    assert set(line.values()) <= ALLOWED_ACCESS_LOG_VARIABLES
    text = access_log["Format"].lower()
    for forbidden in ("authoriz", "token", "header", "jwt", "querystring", "claims", "bearer", "cookie"):
        assert forbidden not in text, forbidden


def test_the_access_log_expires_like_every_other_log(access_log: dict[str, Any], resources: dict[str, Any]) -> None:
    group = access_log["DestinationArn"]["Fn::GetAtt"][0]
    assert resources[group]["Type"] == "AWS::Logs::LogGroup"
    assert resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


# --- the alarm topic ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("address", "subscribed"), [("", False), ("ops@example.com", True)])
def test_alarm_email_subscribes_one_address_or_none(document: dict[str, Any], address: str, subscribed: bool) -> None:
    assert document["Resources"]["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    (name,) = [n for n, s in document["Resources"].items() if s["Type"] == "AWS::SNS::Subscription"]
    subscription = document["Resources"][name]
    assert subscription["Properties"] == {"TopicArn": TOPIC, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}
    resolver = Resolver({"AlarmEmail": address}, {}, {}, document["Conditions"])
    assert resolver.condition(subscription["Condition"]) is subscribed
    spec = document["Parameters"]["AlarmEmail"]
    assert spec["Default"] == ""
    assert re.fullmatch(spec["AllowedPattern"], address)
    assert not re.fullmatch(spec["AllowedPattern"], "not an address")


def test_every_alarm_notifies_the_topic_except_the_scaling_ones(resources: dict[str, Any]) -> None:
    for name, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items():
        actions = alarm.get("AlarmActions", [])
        scaling = [a for a in actions if resources[a["Ref"]]["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy"]
        if scaling:  # GPU workers' start/stop rules: their action is the scaling itself
            assert actions == scaling, name
            continue
        assert actions == [TOPIC], name
        assert alarm["OKActions"] == [TOPIC], name  # and says when it is over


# --- what the alarms watch ----------------------------------------------------------------------------------------
def _single_metric(alarm: dict[str, Any]) -> tuple[str, str, list[Any]]:
    return alarm["Namespace"], alarm["MetricName"], alarm["Dimensions"]


def test_every_dead_letter_queue_alarms_as_soon_as_it_holds_a_message(resources: dict[str, Any]) -> None:
    dead_letter_queues = {
        queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for queue in of_type(resources, "AWS::SQS::Queue").values()
        if "RedrivePolicy" in queue
    }
    assert dead_letter_queues == {"ClassifyDeadLetters", "EmailDeadLetters"}
    watched = {}
    for alarm in notifying_alarms(resources).values():
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible":
            (dimension,) = alarm["Dimensions"]
            watched[dimension["Value"]["Fn::GetAtt"][0]] = alarm
    for queue in dead_letter_queues:
        alarm = watched[queue]
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
        assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "Maximum",
            "GreaterThanThreshold",
            0,
        )


def test_the_classify_queues_oldest_message_alarms(resources: dict[str, Any]) -> None:
    alarm = notifying_alarms(resources)["ClassifyQueueAgeAlarm"]
    assert _single_metric(alarm) == (
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ClassifyQueue", "QueueName"]}}],
    )
    # Above what three failing tries may honestly take before the dead-letter queue takes the message.
    visibility = resources["ClassifyQueue"]["Properties"]["VisibilityTimeout"]
    receives = resources["ClassifyQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    assert alarm["Threshold"] > visibility * receives


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_alarms_on_its_errors_and_throttles(
    document: dict[str, Any], resources: dict[str, Any], metric: str
) -> None:
    watched = {
        alarm["Dimensions"][0]["Value"]["Ref"]: alarm
        for alarm in notifying_alarms(resources).values()
        if alarm.get("Namespace") == "AWS/Lambda" and alarm["MetricName"] == metric
    }
    assert set(watched) == set(functions(document))
    for function, alarm in watched.items():
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
        assert resources[function]["Type"] == "AWS::Lambda::Function"
        assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "Sum",
            "GreaterThanThreshold",
            0,
        )
        assert alarm["TreatMissingData"] == "notBreaching"  # no invocations is not an error


def test_classify_duration_p95_alarms_at_80_percent_of_its_timeout(resources: dict[str, Any]) -> None:
    (alarm,) = [
        alarm
        for alarm in notifying_alarms(resources).values()
        if alarm.get("MetricName") == "Duration" and alarm["Dimensions"][0]["Value"] == {"Ref": "ClassifyFunction"}
    ]
    timeout_ms = resources["ClassifyFunction"]["Properties"]["Timeout"] * 1000
    assert alarm["Namespace"] == "AWS/Lambda"
    assert alarm["ExtendedStatistic"] == "p95"
    assert alarm["Threshold"] == pytest.approx(0.8 * timeout_ms)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_the_apis_5xx_rate_alarms(resources: dict[str, Any]) -> None:
    (alarm,) = [
        alarm
        for alarm in notifying_alarms(resources).values()
        if any(q.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "5xx" for q in alarm.get("Metrics", []))
    ]
    queries = {query["Id"]: query for query in alarm["Metrics"]}
    metrics = {
        query["MetricStat"]["Metric"]["MetricName"]: query_id
        for query_id, query in queries.items()
        if "MetricStat" in query
    }
    assert set(metrics) == {"5xx", "Count"}
    for query_id in metrics.values():
        metric = queries[query_id]["MetricStat"]["Metric"]
        assert metric["Namespace"] == "AWS/ApiGateway"
        assert metric["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]
        assert queries[query_id]["MetricStat"]["Stat"] == "Sum"
        assert queries[query_id]["ReturnData"] is False
    (rate,) = [query for query in queries.values() if query.get("ReturnData", True)]
    expression = rate["Expression"]
    assert f"100 * FILL({metrics['5xx']}, 0) / {metrics['Count']}" in expression  # a percentage of all requests
    assert 0 < alarm["Threshold"] <= 10


# --- the dashboard ------------------------------------------------------------------------------------------------
def _metric_name_patterns() -> list[re.Pattern[str]]:
    """Every metric name an `add_metric(name=...)` in the code can emit: literal names as they are, f-strings with
    their placeholders as wildcards, and for a name passed in a variable, every CamelCase string in that module."""
    patterns: list[re.Pattern[str]] = []
    for folder in CODE:
        for path in folder.rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            constants = {
                node.value
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
                if re.fullmatch(r"(?:[A-Z][a-z]+){2,}", node.value)
            }
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_metric"):
                    continue
                argument = next(
                    (k.value for k in node.keywords if k.arg == "name"), node.args[0] if node.args else None
                )
                if isinstance(argument, ast.Constant):
                    patterns.append(re.compile(re.escape(argument.value)))
                elif isinstance(argument, ast.JoinedStr):
                    parts = [
                        re.escape(part.value) if isinstance(part, ast.Constant) else "[A-Z][A-Za-z]*"
                        for part in argument.values
                    ]
                    patterns.append(re.compile("".join(parts)))
                else:
                    patterns += [re.compile(re.escape(constant)) for constant in constants]
    return patterns


def _classify_outcomes() -> set[str]:
    """The outcome metrics the consumer emits: Classify<status> for every Outcome the service can return, and
    ClassifyFailed."""
    import imagepredict.classify.service as service

    statuses = set()
    tree = ast.parse(Path(service.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Outcome" and node.args:
            first = node.args[0]
            statuses.add(first.value if isinstance(first, ast.Constant) else getattr(service, first.id))
    return {f"Classify{status.capitalize()}" for status in statuses} | {"ClassifyFailed"}


class Placeholders:
    """Stands in for the stack's resources when the body is substituted: `${X}` -> "<X>", `${X.Attr}` -> "<X.Attr>"."""

    def __getitem__(self, key: Any) -> str:
        return f"<{key}>" if isinstance(key, str) else f"<{key[0]}.{key[1]}>"

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@pytest.fixture(scope="module")
def dashboard(resources: dict[str, Any]) -> dict[str, Any]:
    (properties,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    parameters = {"AWS::Region": "eu-west-1", "AWS::StackName": "MyStack"}
    body = Resolver(parameters, Placeholders(), Placeholders()).resolve(properties["DashboardBody"])
    return json.loads(body)  # valid JSON once CloudFormation has substituted it


def metric_rows(dashboard: dict[str, Any]) -> Iterator[tuple[str, list[Any]]]:
    """(widget title, row) for every metric row (not expressions) of every metric widget."""
    for widget in dashboard["widgets"]:
        if widget["type"] != "metric":
            continue
        for row in widget["properties"]["metrics"]:
            if isinstance(row[0], str):
                yield widget["properties"]["title"], row


def dimensions(row: list[Any]) -> dict[str, str]:
    plain = [item for item in row[2:] if not isinstance(item, dict)]
    return dict(zip(plain[::2], plain[1::2], strict=True))


def test_the_dashboards_metric_widgets_are_complete(dashboard: dict[str, Any]) -> None:
    metric_widgets = [widget for widget in dashboard["widgets"] if widget["type"] == "metric"]
    assert len(metric_widgets) >= 10
    for widget in metric_widgets:
        properties = widget["properties"]
        assert properties["region"] == "eu-west-1", properties["title"]
        ids = {row[-1]["id"] for row in properties["metrics"] if isinstance(row[-1], dict) and "id" in row[-1]}
        for row in properties["metrics"]:
            if isinstance(row[0], dict):  # an expression: over ids of this widget only
                used = set(re.findall(r"\b[a-z][a-z0-9_]*\b", row[0]["expression"])) - {"sum"}
                assert used <= ids, (properties["title"], used - ids)
        for field in ("x", "y", "width", "height"):
            assert isinstance(widget[field], int)
        assert widget["x"] + widget["width"] <= 24


def test_every_custom_metric_on_the_dashboard_is_one_the_code_emits(
    dashboard: dict[str, Any], document: dict[str, Any], resources: dict[str, Any]
) -> None:
    namespace = document["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    services = {document["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]}
    for task in of_type(resources, "AWS::ECS::TaskDefinition").values():
        for container in task["ContainerDefinitions"]:
            environment = {item["Name"]: item["Value"] for item in container["Environment"]}
            services.add(environment["POWERTOOLS_SERVICE_NAME"])
            assert environment["POWERTOOLS_METRICS_NAMESPACE"] == namespace
    patterns = _metric_name_patterns()
    custom = [(title, row) for title, row in metric_rows(dashboard) if row[0] == namespace]
    assert len(custom) >= 15
    for title, row in custom:
        assert any(pattern.fullmatch(row[1]) for pattern in patterns), f"{title}: {row[1]} is not emitted by the code"
        # Powertools adds exactly one dimension, `service` (POWERTOOLS_SERVICE_NAME): the dashboard must ask for it.
        assert list(dimensions(row)) == ["service"], (title, row)
        assert dimensions(row)["service"] in services, (title, row)


def test_the_dashboard_shows_every_classification_outcome_and_every_email_outcome(dashboard: dict[str, Any]) -> None:
    shown = {row[1] for _, row in metric_rows(dashboard)}
    outcomes = _classify_outcomes()
    assert {"ClassifyDone", "ClassifyRejected"} <= outcomes
    assert outcomes <= shown
    email = {
        pattern.pattern.replace("\\", "")
        for pattern in _metric_name_patterns()
        if pattern.pattern.startswith("ResultEmail")
    }
    assert {"ResultEmailSent", "ResultEmailFailed", "ResultEmailRefused"} <= email
    assert email <= shown
    assert "UploadStarted" in shown


def test_the_dashboard_covers_every_function_queue_and_the_api(
    dashboard: dict[str, Any], document: dict[str, Any], resources: dict[str, Any]
) -> None:
    rows = [row for _, row in metric_rows(dashboard)]
    for metric in ("Duration", "Errors", "Throttles", "ConcurrentExecutions"):
        shown = {dimensions(row)["FunctionName"] for row in rows if row[:2] == ["AWS/Lambda", metric]}
        assert shown == {f"<{name}>" for name in functions(document)}, metric
    stats = {row[-1].get("stat") for row in rows if row[:2] == ["AWS/Lambda", "Duration"] and isinstance(row[-1], dict)}
    assert stats == {"p50", "p95"}
    queues = {dimensions(row)["QueueName"] for row in rows if row[0] == "AWS/SQS"}
    assert queues == {f"<{name}.QueueName>" for name in of_type(resources, "AWS::SQS::Queue")}
    ages = {dimensions(row)["QueueName"] for row in rows if row[1] == "ApproximateAgeOfOldestMessage"}
    assert "<ClassifyQueue.QueueName>" in ages
    api = {row[1] for row in rows if row[0] == "AWS/ApiGateway"}
    assert {"Count", "5xx", "Latency"} <= api
    assert all(dimensions(row) == {"ApiId": "<HttpApi>"} for row in rows if row[0] == "AWS/ApiGateway")


def test_the_dashboards_alarm_widget_lists_every_alarm_that_notifies(
    dashboard: dict[str, Any], resources: dict[str, Any]
) -> None:
    (widget,) = [widget for widget in dashboard["widgets"] if widget["type"] == "alarm"]
    listed = set(widget["properties"]["alarms"])
    assert listed == {f"<{name}.Arn>" for name in notifying_alarms(resources)}


def test_the_dashboard_name_is_per_region(resources: dict[str, Any]) -> None:
    (properties,) = of_type(resources, "AWS::CloudWatch::Dashboard").values()
    assert properties["DashboardName"] == {"Fn::Sub": "${AWS::StackName}-${AWS::Region}"}  # dashboards are global


# --- MongoDB connections ----------------------------------------------------------------------------------------------
def test_every_sqs_consumer_function_is_capped(resources: dict[str, Any]) -> None:
    """Each function container holds a MongoDB pool: the queue-driven ones have a ceiling (the API ones are bounded
    by the API's throttle), so the README's worst-case connection count has numbers to add up."""
    for mapping in of_type(resources, "AWS::Lambda::EventSourceMapping").values():
        assert "MaximumConcurrency" in mapping["ScalingConfig"], mapping["FunctionName"]
