//! Charging a continual counter: the whole series is paid for once.

use super::charge::Charge;
use super::handle::{Budget, Receipt};
use crate::error::Result;
use crate::mechanism::ContinualCounter;

impl Budget {
    /// Charges `account` once for every period of `counter` — its requested
    /// ε (a pure-DP counter) or ρ (a zCDP counter), checked exactly against
    /// the counter's event ([`Charge::with_event`]) — before any period is
    /// released, and returns the counter to push periods into. One ledger
    /// entry records the event with its number of periods.
    ///
    /// ```
    /// use ilsprivacy::budget::{Budget, Limit};
    /// use ilsprivacy::mechanism::ContinualCounter;
    ///
    /// let budget = Budget::in_memory();
    /// budget.set_limit("circulation", Limit::epsilon_delta(1.0, 0.0)?, "yearly")?;
    /// let mut weekly = budget.start_counter("circulation", ContinualCounter::laplace(52, 1, 0.5)?)?;
    /// let total_so_far = weekly.push(130)?;
    /// # let _ = total_so_far;
    /// # Ok::<(), ilsprivacy::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` if the counter has already released a
    /// period (it must be charged before its first release); otherwise the
    /// errors of [`Budget::spend`] (nothing recorded on refusal).
    pub fn start_counter(
        &self,
        account: &str,
        counter: ContinualCounter,
    ) -> Result<ContinualCounter> {
        self.charge_counter(account, &counter)?;
        Ok(counter)
    }

    /// The charge of [`Budget::start_counter`], returning the receipt.
    ///
    /// # Errors
    ///
    /// As [`Budget::start_counter`].
    pub fn charge_counter(&self, account: &str, counter: &ContinualCounter) -> Result<Receipt> {
        if counter.periods_done() > 0 {
            return Err(crate::Error::invalid(
                "counter",
                "has already released periods; charge it before its first period",
            ));
        }
        let charge = match (counter.epsilon(), counter.rho()) {
            (Some(epsilon), _) => Charge::pure_dp(epsilon)?,
            (None, Some(rho)) => Charge::zcdp(rho)?,
            (None, None) => return Err(crate::Error::Internal("a counter without a cost".into())),
        };
        self.spend(account, &charge.with_event(counter.event())?)
    }
}
