"""Mass-balance ledger of low-carbon / 绿电铝 claims: per producer, product and period, the tonnes
claimed across all shipments never exceed what the period produced (the declared output, or the
part of it the product file declares claimable: product.low_carbon_t). Claims
are booked in delivery order; an overdraw is refused naming the shipments that overdraw it."""
from __future__ import annotations

from dataclasses import dataclass, field

from greenal.errors import InputError


@dataclass
class Account:
    producer: str
    product: str
    period: str
    produced_t: float
    claimed_t: float = 0.0
    shipments: list = field(default_factory=list)  # (delivery date, order, shipment id, tonnes claimed)

    @property
    def available_t(self) -> float:
        return self.produced_t - self.claimed_t


class Ledger:
    def __init__(self) -> None:
        self.accounts: dict[tuple, Account] = {}

    def add(self, producer: str, product: str, period: str, produced_t: float, shipment: str, delivered,
            claimed_t: float) -> None:
        key = (producer, product, period)
        account = self.accounts.setdefault(key, Account(producer, product, period, produced_t))
        if claimed_t:
            account.shipments.append((delivered, len(account.shipments), shipment, claimed_t))
            account.claimed_t += claimed_t

    def check(self, file: str) -> None:
        """Refuse any overdraw, naming the shipments that take the running total past the output."""
        for account in self.accounts.values():
            if account.claimed_t <= account.produced_t * (1 + 1e-12):
                continue
            running, over = 0.0, []
            for _, _, shipment, tonnes in sorted(account.shipments):
                running += tonnes
                if running > account.produced_t * (1 + 1e-12):
                    over.append(shipment)
            raise InputError(file, "column claimed_low_carbon_t",
                             f"{account.claimed_t:g} t claimed for {account.product} of {account.producer}, "
                             f"{account.period}",
                             f"at most {account.produced_t:g} t, the period's declared low-carbon output",
                             f"Overdrawn by shipments {', '.join(over)} (booked in delivery order).")

    def rows(self) -> list[dict]:
        return [{"producer": a.producer, "product": a.product, "period": a.period, "produced_t": a.produced_t,
                 "claimed_low_carbon_t": a.claimed_t, "available_t": a.available_t,
                 "shipments_claiming": len(a.shipments)}
                for a in self.accounts.values()]
