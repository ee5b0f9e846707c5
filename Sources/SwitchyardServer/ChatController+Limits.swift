import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchyardCore
import SwitchyardProviders

extension ChatController {
    /// Reserves one request and the request's tokens against the deployment's known upstream
    /// quota (`rpm`/`tpm` of the deployment), shared by all replicas.
    /// - Throws: the ``LimitRejection`` when the quota is used up for this minute.
    func reserveUpstreamQuota(
        _ candidate: RouteCandidate,
        head: ChatRequestHead,
        at instant: Date
    ) async throws(LimitRejection) -> LimitAdmission {
        let limits = candidate.deployment.upstreamLimits
        guard let limiter = self.gateway.limiter, !limits.isEmpty else { return .none }
        let demands = limits.demands(
            of: "deployment",
            "\(candidate.provider.id)/\(candidate.deployment.target)",
            tokens: LimitReservation.tokens(head),
            charge: .zero
        )
        do {
            return try await limiter.admit(demands, now: instant)
        } catch let rejection as LimitRejection {
            throw rejection
        } catch {
            return .none
        }
    }

    /// Reserves the request's maximum use against every limit of its key and tenant.
    /// - Throws: ``GatewayError`` 429 `rate_limit_exceeded` or `budget_exceeded`, with
    ///   `retry-after` and `x-ratelimit-*` headers.
    func admit(
        _ caller: Caller,
        head: ChatRequestHead,
        plan: RoutePlan,
        at instant: Date,
        logger: Logger
    ) async throws(GatewayError) -> LimitAdmission {
        guard let limiter = self.gateway.limiter, !caller.tenantLimits.isEmpty || !caller.keyLimits.isEmpty else {
            return .none
        }
        // Tokens: about four bytes per prompt token plus the completion cap. Money: at most one
        // token per prompt byte plus the cap, so the reservation bounds the real charge.
        let completion = head.maxTokens ?? LimitReservation.defaultCompletionTokens
        let tokens = LimitReservation.tokens(head)
        let charge = plan.model.price.amount(
            for: TokenUsage(promptTokens: head.body.count, completionTokens: completion)
        )
        let admission: LimitAdmission
        do {
            admission = try await limiter.admit(caller.demands(tokens: tokens, charge: charge), now: instant)
        } catch let rejection as LimitRejection {
            self.gateway.telemetry.limitRefused(rejection.status.demand.rule.meter)
            var error = rejection.gatewayError(now: instant)
            error.headers = RateLimitHeaders.fields([rejection.status], now: instant)
            throw error
        } catch {
            throw GatewayError(code: .internalError, message: "The gateway failed to check its limits.")
        }
        for alert in admission.alerts {
            self.gateway.telemetry.budgetAlerted()
            logger.info(
                "budget alert threshold reached",
                metadata: [
                    "switchyard.budget.subject": "\(alert.demand.subjectKind):\(alert.demand.subjectID)",
                    "switchyard.budget.period": "\(alert.demand.rule.period.rawValue)",
                    "switchyard.budget.limit_usd": "\(USDNanos(alert.demand.rule.limit))",
                    "switchyard.budget.remaining_usd": "\(USDNanos(alert.remaining))",
                ]
            )
        }
        return admission
    }
}
