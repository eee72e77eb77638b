"""The partition's packet filter: it cuts exactly one node's inter-node links and nothing else."""

from __future__ import annotations

from chaos import partition
from system.stack.settings import StackSettings

S = StackSettings()
EPHEMERAL = 45_000


def dropped(rules: list[list[str]], src: str, sport: int, dst: str, dport: int) -> bool:
    """Whether a TCP packet matches one of the rules (the four match options the rules use)."""
    packet = {"-s": src, "--sport": str(sport), "-d": dst, "--dport": str(dport)}
    for rule in rules:
        options = dict(zip(rule[::2], rule[1::2], strict=False))
        if all(packet[k] == v for k, v in options.items() if k in packet):
            return True
    return False


def link(a: int, b: int) -> list[tuple[str, int, str, int]]:
    """The packets both ways of the connection node `a` opens to node `b`'s distribution port."""
    a_ip, b_port = S.node_dist_address(a), S.rabbit_dist_base_port + b
    return [(a_ip, EPHEMERAL, "127.0.0.1", b_port), ("127.0.0.1", b_port, a_ip, EPHEMERAL)]


def test_every_link_of_the_partitioned_node_is_cut_both_ways() -> None:
    rules = partition.rules(S, 2)
    for peer in (0, 1):
        for packet in link(2, peer) + link(peer, 2):
            assert dropped(rules, *packet), packet


def test_the_other_nodes_the_cli_and_the_clients_still_get_through() -> None:
    rules = partition.rules(S, 2)
    assert not any(dropped(rules, *p) for p in link(0, 1) + link(1, 0))
    cli_to_node3 = ("127.0.0.1", EPHEMERAL, "127.0.0.1", S.rabbit_dist_base_port + 2)
    amqp_to_node3 = ("127.0.0.1", EPHEMERAL, "127.0.0.1", S.node_amqp_port(2))
    assert not dropped(rules, *cli_to_node3) and not dropped(rules, *amqp_to_node3)
    assert all(rule[-2:] == ["-j", "DROP"] for rule in rules)  # silence, as a real partition: not a refusal
