"""The key ceremony's public API (see :mod:`escrow._ceremony` for the protocol and formats).

Quick start::

    from escrow import ceremony
    roster = ceremony.Roster.new(custodian_dids, 3, first_epoch=20000, epochs=35)
    deal_file = ceremony.deal(roster, my_identity_key)            # on each machine
    sig_file = ceremony.finalize(roster, all_deal_files, my_store, passphrase)
    directory = ceremony.publish(roster, all_sig_files)           # EpochKeyDirectory
"""

from escrow._ceremony import Roster, build_deal, deal, finalize, publish

__all__ = ["Roster", "build_deal", "deal", "finalize", "publish"]
