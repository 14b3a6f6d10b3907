# -*- coding: utf-8 -*-
# Copyright: azure_hrw.doctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The endpoint probe options, shared by the collectors and hrw_diagnose (which passes them on)."""

    # A module may override one option's description (its keys win over the fragment's when the
    # documentation is merged), for what only that module does.
    DOCUMENTATION = r"""
options:
  probe_timeout:
    description:
      - Seconds allowed for the whole endpoint probe phase (DNS, TCP connect and TLS handshake of
        all endpoints, which run concurrently), so the probes take about one O(probe_timeout) however
        many endpoints are unreachable. An endpoint still unanswered at the deadline is reported
        with C(error_class=timeout).
      - Must be greater than 0 and at most 60.
    type: float
    default: 3.0
  probe_endpoints:
    description:
      - Probe the endpoints the worker must reach (agent service, JRDS, Log Analytics) from the host.
      - When V(false), no network traffic is sent; the endpoints are still returned, with C(dns),
        C(tcp), C(tls), C(elapsed_ms) and C(error_class) set to V(null), and the connectivity rules of
        M(azure_hrw.doctor.hrw_diagnose) report V(Skipped).
    type: bool
    default: true
"""
