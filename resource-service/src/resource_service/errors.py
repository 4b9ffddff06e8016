"""The errors of the resource service: each a problem+json answer (service_kit.problems)."""

from __future__ import annotations

from service_kit.problems import AppError, PayloadTooLarge, ProblemDocs, problem_response

__all__ = ["AppError", "NotFound", "PayloadTooLarge", "problem_response", "problem_responses"]


class NotFound(AppError):
    status_code, code, title = 404, "not_found", "Not found"


# The `responses=` of a route: its problem+json errors, for a complete OpenAPI document.
problem_responses = ProblemDocs(
    {
        400: "Malformed request (e.g. the body is not JSON)",
        401: "No access token, or one that is not valid",
        403: "The access token lacks a required scope",
        404: "No such resource, or it belongs to someone else",
        413: "The request body is too large",
        422: "The request is not valid",
        503: "A dependency (the database, the issuer's keys) is unavailable",
    },
    always=(401, 422, 503),
)
