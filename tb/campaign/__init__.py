"""Verification campaigns on Dask: regression, fuzzing and mutation testing (docs/campaigns.md).

* :mod:`tb.campaign.jobs`: the one adapter between a campaign job (plain data) and the
  simulation launcher of :mod:`tb.regress` (:func:`tb.campaign.jobs.run_job`);
* :mod:`tb.campaign.runner`: Dask plumbing (embedded LocalCluster, an existing scheduler, or a
  dask-jobqueue cluster), progress with ETA, retry once, results and report files as data;
* :mod:`tb.campaign.fuzz`: ``make fuzz`` (random legal bundles, steered to the datapath corners);
* :mod:`tb.campaign.mutate`: ``make mutate`` (yosys ``mutate`` mutants of every rtl/ module);
* :mod:`tb.campaign.sim`: the cocotb test that runs a campaign job inside the simulator.
"""
