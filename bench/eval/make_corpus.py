#!/usr/bin/env python3
"""Generate tuirag's public retrieval-evaluation corpus.

The documents of Halcyon Instruments, a fictional maker of water-quality sensors
and of the "Tidewater" telemetry platform: PDF reports with tables, spreadsheets
(xlsx and csv), a small code base in Python and Go, Markdown and text notes, in
English and Chinese. The output is deterministic: questions.jsonl beside this
script is written against exactly these files, and `--check` verifies that every
question's expected strings occur in its file's text.

    .venv/bin/python bench/eval/make_corpus.py [OUT_DIR] [--check]
    tuirag eval bench/eval/questions.jsonl --corpus bench/eval/corpus
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "corpus"
QUESTIONS = HERE / "questions.jsonl"

Block = tuple[Any, ...]  # ("h1", text), ("h2", text), ("p", text) or ("table", rows)

# ---------------------------------------------------------------------------------------
# PDF reports
# ---------------------------------------------------------------------------------------

OPS_REPORT: list[Block] = [
    ("h1", "Halcyon Instruments - Operations Report, Q3 2025"),
    (
        "p",
        "Prepared by the operations office for the management board. Figures are unaudited "
        "and in thousands of euros unless stated otherwise.",
    ),
    ("h2", "1. Executive summary"),
    (
        "p",
        "Q3 closed with revenue of 18.4 million EUR, 9% above Q2, driven by municipal water "
        "utilities in the Nordics and a one-off order from the Port of Rotterdam for 1,150 "
        "monitoring buoys. Gross margin slipped to 41.2% because resin for the HX-40 housing "
        "had to be bought on the spot market for most of August and September. Headcount "
        "ended the quarter at 212.",
    ),
    (
        "p",
        "Cash position remains comfortable at 11.7 million EUR. Capital expenditure was "
        "concentrated on the second surface-mount line in Suzhou, which went live in week 36.",
    ),
    ("h2", "2. Regional performance"),
    (
        "table",
        [
            ["Region", "Revenue (kEUR)", "Units shipped", "On-time delivery", "Returns"],
            ["Nordics", "5,870", "6,420", "96.1%", "0.8%"],
            ["Benelux", "4,310", "5,980", "93.4%", "1.1%"],
            ["DACH", "3,145", "3,760", "97.8%", "0.6%"],
            ["Iberia", "1,920", "2,210", "88.2%", "2.4%"],
            ["UK and Ireland", "2,480", "2,905", "91.7%", "1.3%"],
            ["Rest of world", "675", "640", "84.9%", "3.0%"],
        ],
    ),
    (
        "p",
        "Iberia remains the weakest region on delivery: two of its three carriers missed "
        "their service levels during the August heatwave, and returns there doubled after a "
        "batch of HX-20 probes arrived with cracked membranes. The DACH region again had the "
        "best delivery record, helped by the new cross-dock in Duisburg.",
    ),
    ("h2", "3. Supply chain"),
    (
        "p",
        "Our sole supplier of the polycarbonate resin used in the HX-40 housing, Kovalenko "
        "Plastics in Gdansk, declared force majeure on 4 August after a fire at its "
        "compounding line. Quoted lead times went from 6 weeks to 11 weeks. We qualified a "
        "second source, Ferrand Polymers of Lyon, and its first 8 tonnes arrived on 19 "
        "September. Until the second source runs at full volume, HX-40 production is capped "
        "at 2,400 units a month.",
    ),
    (
        "p",
        "The Venlo warehouse moved to a new warehouse management system on 2 September. "
        "Picking errors rose for ten days after the switch and then fell below the old "
        "baseline. Freight costs per unit fell 6% after the sea-freight contract was "
        "renegotiated.",
    ),
    ("h2", "4. People"),
    (
        "p",
        "We hired 17 people in the quarter and 5 left, an annualised attrition of 2.1%. The "
        "Tallinn office opened on 1 July with a team of six firmware engineers, who now own "
        "the LoRaWAN stack.",
    ),
    ("h2", "5. Outlook for Q4"),
    (
        "p",
        "We expect revenue between 19 and 20.5 million EUR. The main risks are the resin "
        "supply, a pending tender in Bavaria worth 2.3 million EUR, and the end of life of "
        "the 3G modem used in the HX-20: networks in the Netherlands switch off 3G in "
        "January.",
    ),
]

FIELD_TRIAL: list[Block] = [
    ("h1", "Field trial report: HX-40 optical dissolved-oxygen probes at Lake Ormond"),
    (
        "p",
        "Report FT-2025-06, Applications Engineering. Trial period 5 May to 28 July 2025 "
        "(12 weeks). Eight HX-40 probes were deployed around Lake Ormond and compared every "
        "week against laboratory Winkler titration of grab samples taken at the same depth.",
    ),
    ("h2", "Method"),
    (
        "p",
        "Each probe logged at a 10-minute interval and reported over LoRaWAN through two "
        "GW-LORA-8 gateways on the north and south shores. Grab samples were fixed on site "
        "and titrated within four hours. Probes were not cleaned during the trial, so that "
        "fouling would show in the results.",
    ),
    ("h2", "Results per site"),
    (
        "table",
        [
            ["Site", "Depth (m)", "Mean error (mg/L)", "Drift after 21 days (mg/L)", "Uptime"],
            ["North Pier", "1.5", "0.11", "0.05", "99.2%"],
            ["Marsh Creek", "0.8", "0.36", "0.80", "97.5%"],
            ["Boathouse", "2.0", "0.09", "0.04", "99.6%"],
            ["Dam Outlet", "4.5", "0.14", "0.07", "98.8%"],
            ["Reed Bay", "1.1", "0.22", "0.31", "96.4%"],
            ["Ferry Landing", "3.0", "0.12", "0.06", "99.0%"],
            ["Old Mill", "2.5", "0.10", "0.05", "99.4%"],
            ["South Weir", "1.8", "0.17", "0.12", "98.1%"],
        ],
    ),
    ("h2", "Findings"),
    (
        "p",
        "Accuracy met the datasheet at six of eight sites. The largest deviation came from "
        "Marsh Creek, where algae and fine sediment built up on the optical window; after 21 "
        "days the reading there had drifted by 0.80 mg/L. Reed Bay showed the same pattern "
        "to a lesser degree. Sites deeper than 2 m were unaffected.",
    ),
    (
        "p",
        "Power: the 19 Ah pack lasted the full 12 weeks at a 10-minute interval with 41% of "
        "its capacity left, consistent with the battery model used for the datasheet.",
    ),
    ("h2", "Recommendations"),
    (
        "p",
        "Enable the optional wiper every 6 hours in shallow, nutrient-rich water. The wiper "
        "needs firmware 3.6.0 or later and is set with the configuration key "
        "wiper.interval_h. Replace the sensing cap every 24 months, or sooner if the "
        "probe reports a cap error.",
    ),
]

BATTERY_AUDIT: list[Block] = [
    ("h1", "Battery safety audit 2025: HX series lithium packs"),
    (
        "p",
        "Independent audit report NT-2025-0917 by Nordtest Labs, commissioned by Halcyon "
        "Instruments quality assurance. Four production lots of the 19 Ah pack (part "
        "PACK-19AH) were tested between 2 and 19 September 2025.",
    ),
    ("h2", "Test results"),
    (
        "table",
        [
            ["Lot", "Test", "Standard", "Result", "Peak temperature (C)"],
            ["LT-2287", "Overcharge", "IEC 62133-2", "Pass", "48"],
            ["LT-2287", "Crush", "IEC 62133-2", "Pass", "52"],
            ["LT-2291", "Nail penetration", "UL 1642", "Fail", "612"],
            ["LT-2291", "External short circuit", "IEC 62133-2", "Pass", "71"],
            ["LT-2304", "Thermal abuse at 130 C", "IEC 62133-2", "Pass", "131"],
            ["LT-2304", "Altitude simulation", "UN 38.3 T1", "Pass", "22"],
            ["LT-2310", "Vibration", "UN 38.3 T3", "Pass", "24"],
            ["LT-2310", "Drop from 1.0 m", "IEC 62133-2", "Pass", "23"],
        ],
    ),
    ("h2", "Findings"),
    (
        "p",
        "Lot LT-2291 vented with flame in the nail penetration test. Tear-down showed that "
        "the separator, from supplier batch S-7781, was 12 micrometres thick instead of the "
        "specified 16. All other tests on all lots passed with margin.",
    ),
    (
        "p",
        "All packs of lot LT-2291 (1,880 packs) are quarantined in the Venlo warehouse; "
        "none had shipped to customers. The supplier has accepted the claim.",
    ),
    ("h2", "Corrective actions"),
    (
        "p",
        "Incoming inspection now measures separator thickness on every supplier batch, with "
        "a reject limit of 15 micrometres. Packs continue to ship under UN 3480, packing "
        "instruction PI 965 section IB, with a state of charge of at most 30%.",
    ),
]

USER_GUIDE: list[Block] = [
    ("h1", "HX-40 Water Quality Probe - User Guide"),
    (
        "p",
        "Document HX40-UG, revision D. This guide covers installation, calibration and "
        "maintenance of the HX-40. Read the safety notes in chapter 1 before opening the "
        "battery compartment.",
    ),
    ("h2", "1. Overview"),
    (
        "p",
        "The HX-40 measures dissolved oxygen with an optical luminescence sensor, together "
        "with temperature and conductivity. It replaces the HX-20, whose galvanic probe "
        "needed new electrolyte every few weeks. Readings are sent over LoRaWAN to the "
        "Tidewater platform.",
    ),
    ("h2", "2. Specifications"),
    (
        "table",
        [
            ["Parameter", "Value"],
            ["Measured parameters", "Dissolved oxygen, temperature, conductivity"],
            ["Dissolved oxygen range", "0 to 20 mg/L"],
            ["Dissolved oxygen accuracy", "0.1 mg/L below 8 mg/L, 0.2 mg/L above"],
            ["Operating temperature", "-5 to 50 C"],
            ["Ingress protection", "IP68 (10 m for 30 days)"],
            ["Battery", "19 Ah lithium pack, about 14 months at a 15-minute interval"],
            ["Radio", "LoRaWAN EU868 or US915; Bluetooth LE 5.2 for setup"],
            ["Weight", "1.3 kg without cable"],
        ],
    ),
    ("h2", "3. Calibration"),
    (
        "p",
        "Use a two-point calibration: first a zero-oxygen solution (sodium sulfite, supplied "
        "in KIT-CAL), then water-saturated air. To enter calibration mode, hold the MODE "
        "button for 8 seconds until the status light turns solid blue, then follow the "
        "prompts in the Tidewater app. Calibrate every 90 days and after fitting a new "
        "sensing cap.",
    ),
    ("h2", "4. Status light"),
    (
        "table",
        [
            ["Pattern", "Meaning", "What to do"],
            ["Green blink every 10 s", "Measuring normally", "Nothing"],
            ["Amber, 3 blinks", "Battery below 15%", "Replace the pack within 2 weeks"],
            ["Red, fast blinking", "Sensing cap expired or missing", "Fit a new cap (HX-CAP-40)"],
            ["Blue, solid", "Calibration mode", "Follow the calibration steps"],
            ["Amber and red alternating", "No network join after 24 h", "Check gateway coverage"],
        ],
    ),
    ("h2", "5. Maintenance and warranty"),
    (
        "p",
        "Rinse the probe with fresh water after retrieval; never use solvents on the optical "
        "window. The HX-40 carries a 3-year warranty. The sensing cap is a consumable and is "
        "covered for 6 months.",
    ),
]

ZH_QUALITY: list[Block] = [
    ("h1", "2025年第三季度质量报告"),
    (
        "p",
        "编制：质量管理部。报告范围：苏州、东莞、成都三家工厂，统计期间为2025年7月1日至9月30日。",
    ),
    ("h2", "一、总体情况"),
    (
        "p",
        "本季度三家工厂共生产传感器41,600台，综合一次合格率为97.3%，比第二季度提高0.6个百分点。"
        "客户投诉共38起，其中21起与包装破损有关，主要发生在发往伊比利亚地区的海运货物中。",
    ),
    ("h2", "二、各工厂质量指标"),
    (
        "table",
        [
            ["工厂", "产量（台）", "一次合格率", "缺陷率", "客户投诉"],
            ["苏州工厂", "18,200", "98.1%", "0.42%", "9"],
            ["东莞工厂", "14,900", "95.8%", "1.37%", "22"],
            ["成都工厂", "8,500", "98.4%", "0.35%", "7"],
        ],
    ),
    ("h2", "三、主要问题"),
    (
        "p",
        "东莞工厂8月份出现批量焊接不良。原因是更换锡膏供应商后，回流焊炉温曲线没有重新验证，"
        "导致主板BGA虚焊，共返工主板1,240块。问题由出厂老化测试发现，未流入客户。",
    ),
    ("h2", "四、整改措施"),
    (
        "p",
        "1. 任何物料变更后必须重新验证炉温曲线；2. X光抽检比例提高到5%；"
        "3. 由东莞工厂质量经理刘建国负责跟踪整改，9月30日前完成并提交验证报告。",
    ),
    ("h2", "五、下季度目标"),
    ("p", "综合一次合格率达到98%以上，客户投诉控制在25起以内，包装破损投诉减半。"),
]

# ---------------------------------------------------------------------------------------
# Spreadsheets
# ---------------------------------------------------------------------------------------

PRICE_SENSORS = [
    ["SKU", "Product", "List price (EUR)", "Lead time (weeks)", "Notes"],
    ["HX-40-DO", "HX-40 dissolved oxygen probe", 1240, 6, ""],
    ["HX-40-CTD", "HX-40 conductivity, temperature and depth probe", 1480, 8, ""],
    ["HX-20-DO", "HX-20 dissolved oxygen probe (legacy)", 690, 4, "End of sale 31 Dec 2025"],
    ["HX-CAP-40", "Sensing cap for HX-40", 145, 2, "Consumable"],
    ["BUOY-S", "Small buoy with solar mast", 2150, 10, ""],
    ["BUOY-L", "Large buoy with three sensor ports", 3980, 12, "Crane needed for deployment"],
    ["GW-LORA-8", "LoRaWAN gateway, 8 channels", 890, 3, ""],
    ["PACK-19AH", "19 Ah lithium battery pack", 118, 2, "Ships as dangerous goods"],
    ["KIT-CAL", "Calibration kit (zero solution, cups)", 64, 1, ""],
    ["TW-SUB-BASIC", "Tidewater subscription, per device per year", 96, 0, ""],
    [
        "TW-SUB-PRO",
        "Tidewater Pro subscription, per device per year",
        180,
        0,
        "Includes alerts API and 5-year history",
    ],
]
PRICE_DISCOUNTS = [
    ["Minimum units", "Discount (%)", "Applies to"],
    [25, 5, "Sensors and buoys"],
    [100, 12, "Sensors and buoys"],
    [500, 18, "Sensors only"],
    [1000, 22, "Framework agreements; needs approval by the sales director"],
]

SERVERS = [
    ["Hostname", "Role", "Datacenter", "vCPU", "RAM (GB)", "OS", "Owner"],
    ["tw-gw-01", "API gateway", "AMS2", 8, 16, "Debian 12", "platform team"],
    ["tw-gw-02", "API gateway", "FRA1", 8, 16, "Debian 12", "platform team"],
    ["tw-ingest-01", "Telemetry ingest", "AMS2", 16, 64, "Debian 12", "platform team"],
    ["tw-ingest-02", "Telemetry ingest", "FRA1", 16, 64, "Debian 12", "platform team"],
    ["tw-ingest-03", "Telemetry ingest", "AMS2", 16, 64, "Debian 12", "platform team"],
    ["tw-pg-primary", "PostgreSQL primary", "FRA1", 32, 256, "Debian 12", "data team"],
    ["tw-pg-replica", "PostgreSQL replica", "AMS2", 32, 256, "Debian 12", "data team"],
    ["tw-ts-01", "Time-series store", "FRA1", 24, 192, "Debian 12", "data team"],
    ["tw-ts-02", "Time-series store", "AMS2", 24, 192, "Debian 12", "data team"],
    ["tw-alerts-01", "Alert evaluator", "FRA1", 4, 8, "Debian 12", "alerts team"],
    ["tw-mq-01", "Message queue", "FRA1", 8, 32, "Debian 12", "platform team"],
    ["tw-mq-02", "Message queue", "AMS2", 8, 32, "Debian 12", "platform team"],
    ["tw-ci-runner-01", "CI runner", "HEL1", 16, 32, "Ubuntu 24.04", "developer tools"],
    ["tw-ci-runner-02", "CI runner", "HEL1", 16, 32, "Ubuntu 24.04", "developer tools"],
    ["tw-vpn-01", "WireGuard VPN", "AMS2", 2, 4, "Debian 12", "IT"],
    ["tw-backup-01", "Backup target", "HEL1", 4, 16, "Debian 12", "data team"],
    ["tw-grafana", "Dashboards", "FRA1", 4, 8, "Debian 12", "platform team"],
    ["tw-build-arm", "Firmware builds", "HEL1", 32, 64, "Ubuntu 24.04", "firmware team"],
]

ZH_TRAINING = [
    ["员工编号", "姓名", "部门", "课程", "完成日期", "成绩"],
    ["E1021", "李明", "生产部", "安全生产基础", "2025-05-08", 95],
    ["E1033", "张伟", "生产部", "回流焊工艺", "2025-05-20", 81],
    ["E1047", "王芳", "生产部", "静电防护（ESD）认证", "2025-06-12", 92],
    ["E1052", "刘洋", "仓储部", "叉车操作证复训", "2025-06-18", 88],
    ["E1060", "陈静", "研发部", "功能安全入门", "2025-06-25", 90],
    ["E1068", "杨帆", "研发部", "LoRaWAN协议基础", "2025-07-02", 85],
    ["E1075", "赵强", "质量部", "统计过程控制（SPC）", "2025-07-09", 93],
    ["E1081", "黄丽", "销售部", "大客户谈判技巧", "2025-07-15", 79],
    ["E1094", "周杰", "销售部", "产品知识：HX-40", "2025-07-22", 96],
    ["E1102", "陈晓东", "质量部", "内审员培训", "2025-07-30", 88],
    ["E1115", "吴敏", "财务部", "出口退税实务", "2025-08-06", 91],
    ["E1120", "徐磊", "生产部", "静电防护（ESD）认证", "2025-08-13", 74],
    ["E1133", "孙丽", "人事部", "劳动合同法更新", "2025-08-20", 87],
    ["E1141", "马超", "仓储部", "危险品运输（锂电池）", "2025-08-27", 90],
    ["E1156", "胡静", "研发部", "嵌入式安全编码", "2025-09-03", 94],
    ["E1162", "郭涛", "生产部", "5S现场管理", "2025-09-10", 83],
    ["E1178", "林娜", "质量部", "测量系统分析（MSA）", "2025-09-17", 89],
]

# ---------------------------------------------------------------------------------------
# CSV files (two are partly generated from a fixed seed, around fixed rows the questions use)
# ---------------------------------------------------------------------------------------

ZH_SALES = [
    ["区域", "负责人", "2025实际（万元）", "2026目标（万元）", "重点客户"],
    ["华东", "赵磊", "3860", "4500", "上海城投水务"],
    ["华南", "黄丽", "2140", "2600", "深圳水务集团"],
    ["西南", "周杰", "980", "1400", "成都环境集团"],
    ["华北", "孙敏", "1720", "2100", "北京排水集团"],
    ["华中", "钱坤", "1310", "1650", "武汉水务集团"],
    ["东北", "冯雪", "640", "820", "沈阳水务集团"],
    ["西北", "韩冰", "410", "600", "西安水务集团"],
]


def inventory_rows() -> list[list[str]]:
    rng = random.Random(7)
    header = ["SKU", "Description", "Warehouse", "On hand", "Reorder point", "Bin"]
    fixed = {
        ("HX-CAP-40", "Venlo"): [
            "HX-CAP-40",
            "Sensing cap for HX-40",
            "Venlo",
            "2210",
            "500",
            "V-12-04",
        ],
        ("PACK-19AH", "Porto"): [
            "PACK-19AH",
            "19 Ah lithium battery pack",
            "Porto",
            "37",
            "150",
            "P-03-11",
        ],
    }
    rows = [header]
    for sku, product, *_ in PRICE_SENSORS[1:]:
        if sku.startswith("TW-"):
            continue
        for warehouse, prefix in (("Venlo", "V"), ("Tallinn", "T"), ("Porto", "P")):
            row = fixed.get((sku, warehouse))
            if row is None:
                on_hand = rng.randrange(20, 1800)
                bin_ = f"{prefix}-{rng.randrange(1, 20):02d}-{rng.randrange(1, 30):02d}"
                reorder = str(rng.choice([50, 100, 200]))
                row = [sku, product, warehouse, str(on_hand), reorder, bin_]
            rows.append(row)
    return rows


def ticket_rows() -> list[list[str]]:
    rng = random.Random(11)
    header = ["Ticket", "Opened", "Customer", "Product", "Severity", "Summary", "Status"]
    customers = [
        "Waterschap Aa en Maas",
        "Vatten Syd AB",
        "Stadtwerke Kassel",
        "Thames Basin Trust",
        "Aguas do Norte",
        "Hoogheemraadschap Delfland",
        "Lake Ormond Authority",
        "Helsinki Region Water",
        "Wasserverband Eifel",
    ]
    summaries = [
        ("HX-40-DO", "Readings flat at 0.00 after cap replacement", "Resolved - cap not seated"),
        ("GW-LORA-8", "Gateway offline after power cut", "Resolved - PSU replaced"),
        ("TW-SUB-PRO", "Alert emails delayed by up to 20 minutes", "Resolved - queue scaled"),
        ("HX-40-CTD", "Conductivity offset after winter storage", "Resolved - recalibrated"),
        ("BUOY-S", "Solar panel bracket loose", "Replaced bracket"),
        ("TW-SUB-BASIC", "CSV export missing last day", "Resolved - timezone fix in 3.5.2"),
        ("HX-40-DO", "Probe not joining network", "Resolved - wrong region EU868/US915"),
        ("PACK-19AH", "Battery drained in 3 months", "Closed - interval set to 1 minute"),
    ]
    fixed = [
        [
            "SUP-48213",
            "2025-08-21",
            "Waterschap Rivierland",
            "GW-LORA-8",
            "S1",
            "Gateway reboots every 40 minutes after firmware 2.9.1",
            "Resolved - rollback to 2.8.4",
        ],
        [
            "SUP-48377",
            "2025-09-03",
            "Aguas de Braga",
            "HX-20-DO",
            "S2",
            "Cracked membranes on delivery (batch of 60 probes)",
            "Replaced under warranty",
        ],
    ]
    rows = [header]
    number = 48100
    for i in range(28):
        number += rng.randrange(7, 19)
        if i == 9:
            rows.append(fixed[0])
            continue
        if i == 17:
            rows.append(fixed[1])
            continue
        product, summary, status = rng.choice(summaries)
        month, day = rng.choice([7, 8, 9]), rng.randrange(1, 29)
        rows.append(
            [
                f"SUP-{number}",
                f"2025-{month:02d}-{day:02d}",
                rng.choice(customers),
                product,
                rng.choice(["S2", "S3", "S3", "S4"]),
                summary,
                status,
            ]
        )
    return rows


# ---------------------------------------------------------------------------------------
# Code base: Python (billing, ingest, alerts) and Go (the API gateway)
# ---------------------------------------------------------------------------------------

CODE: dict[str, str] = {}

CODE["src/tidewater/billing/invoice.py"] = '''\
"""Invoices for device subscriptions and hardware orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from tidewater.billing.tax import vat_rate, reverse_charge_applies

# Late payment: 1.5% of the open amount per started month, as in our terms of sale.
LATE_FEE_RATE = Decimal("0.015")
PAYMENT_TERMS_DAYS = 30  # "NET30" on the invoice
CENT = Decimal("0.01")


@dataclass
class InvoiceLine:
    sku: str
    description: str
    quantity: int
    unit_price: Decimal
    discount_pct: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal:
        gross = self.unit_price * self.quantity
        return (gross * (1 - self.discount_pct / 100)).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Invoice:
    number: str
    customer_id: str
    country: str
    vat_id: str | None
    issued: date
    lines: list[InvoiceLine] = field(default_factory=list)

    @property
    def net_total(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal(0))

    @property
    def vat(self) -> Decimal:
        if reverse_charge_applies("NL", self.country, self.vat_id):
            return Decimal(0)
        return (self.net_total * vat_rate(self.country)).quantize(CENT, ROUND_HALF_UP)

    @property
    def due(self) -> date:
        return due_date(self.issued, PAYMENT_TERMS_DAYS)


def due_date(issued: date, terms_days: int = PAYMENT_TERMS_DAYS) -> date:
    """Payment is due `terms_days` after issue, moved to the next Monday at weekends."""
    due = issued + timedelta(days=terms_days)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due


def late_fee(invoice: Invoice, paid_on: date) -> Decimal:
    """1.5% of the total per started month past the due date."""
    if paid_on <= invoice.due:
        return Decimal(0)
    months = (paid_on - invoice.due).days // 30 + 1
    total = invoice.net_total + invoice.vat
    return (total * LATE_FEE_RATE * months).quantize(CENT, ROUND_HALF_UP)


def apply_volume_discount(lines: list[InvoiceLine], tiers: list[tuple[int, Decimal]]) -> None:
    """Give every hardware line the best tier its quantity reaches.

    `tiers` is (minimum units, discount percent), e.g. [(25, 5), (100, 12), (500, 18)].
    Subscriptions (TW-SUB-*) never get volume discounts.
    """
    ordered = sorted(tiers, reverse=True)
    for line in lines:
        if line.sku.startswith("TW-SUB-"):
            continue
        for minimum, pct in ordered:
            if line.quantity >= minimum:
                line.discount_pct = Decimal(pct)
                break


class InvoiceBuilder:
    """Collects order lines and numbers invoices per year: HI-2025-000123."""

    def __init__(self, year: int, last_number: int = 0) -> None:
        self.year = year
        self.last_number = last_number

    def build(self, customer_id: str, country: str, vat_id: str | None,
              lines: list[InvoiceLine], issued: date) -> Invoice:
        self.last_number += 1
        number = f"HI-{self.year}-{self.last_number:06d}"
        return Invoice(number, customer_id, country, vat_id, issued, list(lines))
'''

CODE["src/tidewater/billing/tax.py"] = '''\
"""VAT: standard rates per EU country and the reverse-charge rule for B2B sales."""

from __future__ import annotations

from decimal import Decimal

VAT_RATES: dict[str, Decimal] = {
    "NL": Decimal("0.21"),
    "BE": Decimal("0.21"),
    "DE": Decimal("0.19"),
    "FR": Decimal("0.20"),
    "ES": Decimal("0.21"),
    "PT": Decimal("0.23"),
    "SE": Decimal("0.25"),
    "FI": Decimal("0.255"),
    "EE": Decimal("0.22"),
    "PL": Decimal("0.23"),
    "IE": Decimal("0.23"),
}


class UnknownCountry(ValueError):
    pass


def vat_rate(country: str) -> Decimal:
    try:
        return VAT_RATES[country.upper()]
    except KeyError:
        raise UnknownCountry(f"no VAT rate configured for {country!r}") from None


def reverse_charge_applies(seller_country: str, buyer_country: str,
                           buyer_vat_id: str | None) -> bool:
    """Intra-EU business sale: the buyer accounts for VAT, we invoice 0%.

    Only when the buyer is in another EU member state and gave a VAT id that
    starts with their country code. Consumers always pay our domestic rate.
    """
    if not buyer_vat_id or seller_country.upper() == buyer_country.upper():
        return False
    buyer = buyer_country.upper()
    return buyer in VAT_RATES and buyer_vat_id.upper().startswith(buyer)
'''

CODE["src/tidewater/ingest/retry.py"] = '''\
"""Retries for uploads from gateways to the ingest API, with capped exponential backoff."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

MAX_ATTEMPTS = 7  # then the batch goes to the dead-letter queue
RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


def backoff_delays(base: float = 0.5, factor: float = 2.0, cap: float = 30.0,
                   jitter: float = 0.1) -> Iterator[float]:
    """0.5, 1, 2, 4 ... seconds, never more than `cap`, each +/- 10% jitter."""
    delay = base
    while True:
        spread = delay * jitter
        yield min(cap, delay) + random.uniform(-spread, spread)
        delay = min(cap, delay * factor)


class RetryBudget:
    """Stops retrying when more than `ratio` of recent calls were retries (a storm guard)."""

    def __init__(self, ratio: float = 0.2, window: int = 100) -> None:
        self.ratio = ratio
        self.window = window
        self.calls: list[bool] = []

    def record(self, retried: bool) -> None:
        self.calls.append(retried)
        del self.calls[: -self.window]

    def allows_retry(self) -> bool:
        return not self.calls or sum(self.calls) / len(self.calls) < self.ratio


class GaveUp(Exception):
    pass


def with_retries(call: Callable[[], T], budget: RetryBudget,
                 sleep: Callable[[float], None] = time.sleep) -> T:
    delays = backoff_delays()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            result = call()
            budget.record(retried=attempt > 1)
            return result
        except TimeoutError:
            if attempt == MAX_ATTEMPTS or not budget.allows_retry():
                raise GaveUp(f"gave up after {attempt} attempts") from None
            sleep(next(delays))
    raise AssertionError("unreachable")
'''

CODE["src/tidewater/ingest/frames.py"] = '''\
"""Decode the binary frames HX probes send over LoRaWAN.

Layout (big-endian): magic A5 5A, version (1 byte), payload length (2 bytes),
device serial (4 bytes), payload, CRC-16/CCITT of everything before it (2 bytes).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

FRAME_MAGIC = b"\\xa5\\x5a"
HEADER = struct.Struct(">2sBHI")
SUPPORTED_VERSIONS = {2, 3}


class FrameError(ValueError):
    """A frame that is truncated, has a bad magic or version, or fails its checksum."""


@dataclass(frozen=True)
class Frame:
    version: int
    serial: int
    payload: bytes


def crc16_ccitt(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE, polynomial 0x1021, as computed by the probe firmware."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def decode_frame(raw: bytes) -> Frame:
    if len(raw) < HEADER.size + 2:
        raise FrameError(f"frame too short: {len(raw)} bytes")
    magic, version, length, serial = HEADER.unpack_from(raw)
    if magic != FRAME_MAGIC:
        raise FrameError("bad magic")
    if version not in SUPPORTED_VERSIONS:
        raise FrameError(f"unsupported frame version {version}")
    end = HEADER.size + length
    if len(raw) != end + 2:
        raise FrameError("length field does not match frame size")
    (expected,) = struct.unpack_from(">H", raw, end)
    if crc16_ccitt(raw[:end]) != expected:
        raise FrameError("checksum mismatch")
    return Frame(version, serial, raw[HEADER.size:end])
'''

CODE["src/tidewater/alerts/rules.py"] = '''\
"""Alert rules evaluated on every new reading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

# Below this most fish species are stressed; the default rule for every lake site.
DISSOLVED_OXYGEN_MIN_MG_L = 4.0
HYSTERESIS_MG_L = 0.3  # clear only when the value is this far back above the limit
QUIET_HOURS = (time(22, 0), time(6, 0))  # Pro: no SMS at night, email only


@dataclass
class Rule:
    metric: str
    minimum: float | None = None
    maximum: float | None = None
    sustained_readings: int = 3  # ignore single spikes


@dataclass
class AlertState:
    firing: bool = False
    breaches: int = 0


DEFAULT_RULES = [
    Rule("dissolved_oxygen", minimum=DISSOLVED_OXYGEN_MIN_MG_L),
    Rule("temperature", maximum=28.0),
    Rule("conductivity", maximum=2500.0, sustained_readings=6),
]


def evaluate(rule: Rule, value: float, state: AlertState) -> AlertState:
    """Fire after `sustained_readings` breaches in a row; clear with hysteresis."""
    low = rule.minimum is not None and value < rule.minimum
    high = rule.maximum is not None and value > rule.maximum
    if low or high:
        breaches = state.breaches + 1
        firing = state.firing or breaches >= rule.sustained_readings
        return AlertState(firing=firing, breaches=breaches)
    if state.firing and rule.minimum is not None and value < rule.minimum + HYSTERESIS_MG_L:
        return state
    return AlertState()
'''

CODE["gateway/ratelimit.go"] = """\
package gateway

import (
\t"net/http"
\t"sync"
\t"time"
)

// Per-API-key token buckets. A key may burst to DefaultBurst requests and is
// refilled at RefillPerSecond tokens per second (720 a minute in steady state).
const (
\tDefaultBurst    = 40
\tRefillPerSecond = 12
)

type TokenBucket struct {
\tmu       sync.Mutex
\ttokens   float64
\tcapacity float64
\trate     float64
\tlast     time.Time
}

func NewTokenBucket(capacity, rate float64) *TokenBucket {
\treturn &TokenBucket{tokens: capacity, capacity: capacity, rate: rate, last: time.Now()}
}

// Allow takes one token if there is one.
func (b *TokenBucket) Allow() bool {
\tb.mu.Lock()
\tdefer b.mu.Unlock()
\tnow := time.Now()
\tb.tokens = min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.rate)
\tb.last = now
\tif b.tokens < 1 {
\t\treturn false
\t}
\tb.tokens--
\treturn true
}

type Limiter struct {
\tmu      sync.Mutex
\tbuckets map[string]*TokenBucket
}

func NewLimiter() *Limiter {
\treturn &Limiter{buckets: map[string]*TokenBucket{}}
}

// Middleware answers 429 with Retry-After when the key's bucket is empty.
func (l *Limiter) Middleware(next http.Handler) http.Handler {
\treturn http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
\t\tkey := r.Header.Get("X-Tidewater-Key")
\t\tl.mu.Lock()
\t\tbucket, ok := l.buckets[key]
\t\tif !ok {
\t\t\tbucket = NewTokenBucket(DefaultBurst, RefillPerSecond)
\t\t\tl.buckets[key] = bucket
\t\t}
\t\tl.mu.Unlock()
\t\tif !bucket.Allow() {
\t\t\tw.Header().Set("Retry-After", "1")
\t\t\thttp.Error(w, "rate limit exceeded", http.StatusTooManyRequests)
\t\t\treturn
\t\t}
\t\tnext.ServeHTTP(w, r)
\t})
}
"""

CODE["gateway/config.go"] = """\
package gateway

import (
\t"fmt"
\t"os"
\t"strconv"
)

// Config comes from the environment only, so the same image runs everywhere.
type Config struct {
\tListen       string // TIDEWATER_GATEWAY_LISTEN, default ":8443"
\tUpstream     string // TIDEWATER_UPSTREAM, the ingest service
\tMaxBodyBytes int64  // TIDEWATER_MAX_BODY_BYTES, default 1 MiB
\tTLSCert      string // TIDEWATER_TLS_CERT
\tTLSKey       string // TIDEWATER_TLS_KEY
}

func getenv(key, fallback string) string {
\tif value, ok := os.LookupEnv(key); ok && value != "" {
\t\treturn value
\t}
\treturn fallback
}

// LoadConfig reads the gateway settings and rejects nonsense early.
func LoadConfig() (Config, error) {
\tcfg := Config{
\t\tListen:   getenv("TIDEWATER_GATEWAY_LISTEN", ":8443"),
\t\tUpstream: getenv("TIDEWATER_UPSTREAM", "http://tw-ingest:9000"),
\t\tTLSCert:  getenv("TIDEWATER_TLS_CERT", "/etc/tidewater/tls.crt"),
\t\tTLSKey:   getenv("TIDEWATER_TLS_KEY", "/etc/tidewater/tls.key"),
\t}
\tlimit, err := strconv.ParseInt(getenv("TIDEWATER_MAX_BODY_BYTES", "1048576"), 10, 64)
\tif err != nil || limit <= 0 {
\t\treturn Config{}, fmt.Errorf("TIDEWATER_MAX_BODY_BYTES must be a positive integer")
\t}
\tcfg.MaxBodyBytes = limit
\treturn cfg, nil
}
"""

CODE["gateway/auth.go"] = """\
package gateway

import (
\t"crypto/hmac"
\t"crypto/sha256"
\t"encoding/hex"
\t"errors"
\t"net/http"
\t"strconv"
\t"time"
)

// Requests are signed: X-Tidewater-Signature = hex(HMAC-SHA256(secret, timestamp + "." + body)).
const SignatureHeader = "X-Tidewater-Signature"
const TimestampHeader = "X-Tidewater-Timestamp"

// MaxClockSkew is how far a client's clock may differ from ours (replay protection).
const MaxClockSkew = 300 * time.Second

var (
\tErrMissingSignature = errors.New("missing signature")
\tErrStaleRequest     = errors.New("timestamp outside the allowed clock skew")
\tErrBadSignature     = errors.New("signature mismatch")
)

// VerifySignature checks the timestamp window first, then the HMAC in constant time.
func VerifySignature(r *http.Request, body []byte, secret []byte, now time.Time) error {
\tsig := r.Header.Get(SignatureHeader)
\tts := r.Header.Get(TimestampHeader)
\tif sig == "" || ts == "" {
\t\treturn ErrMissingSignature
\t}
\tseconds, err := strconv.ParseInt(ts, 10, 64)
\tif err != nil {
\t\treturn ErrStaleRequest
\t}
\tskew := now.Sub(time.Unix(seconds, 0))
\tif skew > MaxClockSkew || skew < -MaxClockSkew {
\t\treturn ErrStaleRequest
\t}
\tmac := hmac.New(sha256.New, secret)
\tmac.Write([]byte(ts + "."))
\tmac.Write(body)
\twant := hex.EncodeToString(mac.Sum(nil))
\tif !hmac.Equal([]byte(want), []byte(sig)) {
\t\treturn ErrBadSignature
\t}
\treturn nil
}
"""

CODE["gateway/main.go"] = """\
package gateway

import (
\t"context"
\t"log"
\t"net/http"
\t"net/http/httputil"
\t"net/url"
\t"os/signal"
\t"syscall"
\t"time"
)

// shutdownTimeout is how long in-flight requests get to finish on SIGTERM.
const shutdownTimeout = 25 * time.Second

// Run starts the gateway: rate limiting and signature checks in front of the ingest service.
func Run() error {
\tcfg, err := LoadConfig()
\tif err != nil {
\t\treturn err
\t}
\tupstream, err := url.Parse(cfg.Upstream)
\tif err != nil {
\t\treturn err
\t}
\tproxy := httputil.NewSingleHostReverseProxy(upstream)
\tlimiter := NewLimiter()
\tmux := http.NewServeMux()
\tmux.Handle("/v2/", limiter.Middleware(http.MaxBytesHandler(proxy, cfg.MaxBodyBytes)))
\tmux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
\t\tw.WriteHeader(http.StatusOK)
\t})
\tserver := &http.Server{Addr: cfg.Listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}

\tctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
\tdefer stop()
\tgo func() {
\t\terr := server.ListenAndServeTLS(cfg.TLSCert, cfg.TLSKey)
\t\tif err != nil && err != http.ErrServerClosed {
\t\t\tlog.Fatalf("gateway: %v", err)
\t\t}
\t}()
\t<-ctx.Done()
\tshutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
\tdefer cancel()
\treturn server.Shutdown(shutdownCtx)
}
"""

# ---------------------------------------------------------------------------------------
# Markdown and text documents
# ---------------------------------------------------------------------------------------

TEXTS: dict[str, str] = {}

TEXTS["docs/onboarding.md"] = """\
# Engineering onboarding

Welcome to Halcyon Instruments. This page is the checklist for your first weeks; your buddy
will go through it with you on day one.

## Accounts and access

- Your laptop arrives with full-disk encryption enabled. Do not turn it off.
- Enrol in the VPN with `hx-vpn enroll`; it writes a WireGuard profile for the AMS2 and FRA1
  networks. Access to production databases needs a separate request in the access portal.
- Multi-factor authentication is required on every account (see the security policy).

## Laptops and equipment

Laptops are replaced every four years. Monitors, a headset and a standing desk can be ordered
through the facilities portal; anything above 400 EUR needs your lead's approval.

## On-call

New engineers join the on-call rotation after six weeks. Before your first shift you shadow two
shifts with an experienced engineer. A rotation lasts one week and hands over on Monday at
10:00. The runbooks live in the `ops/runbooks` repository.

## Travel and expenses

When travelling for work you can spend up to 60 EUR per day on meals. Book trains where the
journey takes less than six hours. Upload receipts to Payflow within 30 days of the trip, or the
expense cannot be reimbursed.

## Who to ask

Platform questions go to #platform, firmware to #firmware, and anything about payroll to
people-ops. Your buddy is the first stop for everything else.
"""

TEXTS["docs/incident-2025-07-12-postmortem.md"] = """\
# Postmortem: ingest outage on 12 July 2025

Status: final. Authors: platform team. Blameless format.

## Summary

From 09:12 to 09:59 UTC (47 minutes) gateways could not upload readings: every TLS handshake
with the ingest load balancer failed. The certificate on the load balancer had expired, and
the automatic renewal had been failing silently for three weeks because the DNS-01 challenge
used an API token that had been revoked during a clean-up of unused credentials.

## Impact

About 3,100 devices buffered their readings locally and re-sent them after the fix. No data
was lost. Dashboards showed gaps until the backfill finished at 11:40 UTC. Two customers
opened tickets about missing alerts during the window.

## Timeline (UTC)

- 09:12 first handshake failures; gateway error rate rises to 100%
- 09:21 on-call engineer paged by the synthetic upload check
- 09:38 expired certificate identified
- 09:51 certificate issued manually and deployed
- 09:59 error rate back to normal

## What went well

Devices buffered as designed; nothing was lost. The synthetic check paged within nine minutes.

## Action items

| Action | Owner | Due |
| --- | --- | --- |
| Alert 21 days before any certificate expires | Priya Raman | 2025-07-31 |
| Alert when a renewal fails, not only when a certificate expires | Jonas Weber | 2025-08-15 |
| Rotate the DNS API token yearly, through the secrets manager | Priya Raman | 2025-09-01 |
| Add the certificate expiry date to the platform dashboard | Ana Costa | 2025-08-15 |
"""

TEXTS["docs/api-guide.md"] = """\
# Tidewater REST API guide (v2)

The API gives read access to devices and their readings, and write access to alert rules.

## Authentication

Every request carries an API key in `X-Tidewater-Key`. Requests that write data must also be
signed; the signature scheme is described in the gateway README. Keys are created per project
in the Tidewater web app under Settings > API keys.

## Endpoints

- `GET /v2/devices` lists the devices of the project.
- `GET /v2/devices/{id}` returns one device, its firmware version and last contact.
- `GET /v2/devices/{id}/readings?from=...&to=...` returns readings in time order.
- `PUT /v2/devices/{id}/rules` replaces the alert rules of a device.

## Pagination

List endpoints return at most 1,000 items. When there are more, the response contains a
`next_page_token`; pass it back as the `page_token` query parameter to get the following
items. Tokens expire after 10 minutes.

## Rate limits

Each key may make 600 requests per minute, with short bursts of up to 40. Over the limit the
API answers `429 Too Many Requests` with a `Retry-After` header in seconds.

## Errors

| Code | HTTP | Meaning |
| --- | --- | --- |
| E_AUTH_MISSING | 401 | No API key in the request |
| E_SIGNATURE | 401 | Missing or wrong request signature |
| E_DEVICE_NOT_FOUND | 404 | No device with that id in this project |
| E_DEVICE_UNCLAIMED | 409 | The device exists but has not been claimed by any project yet |
| E_RANGE_TOO_LARGE | 422 | from/to spans more than 31 days |
"""

TEXTS["docs/release-notes.md"] = """\
# Tidewater release notes

## 3.6.1 (2025-10-02)

- Fixed: alert emails for devices in a quiet-hours window were sent twice at 06:00.
- Fixed: the readings chart ignored the project's time zone.

## 3.6.0 (2025-09-15)

- New: quiet hours for alerts (Pro): between 22:00 and 06:00 alerts go by email only.
- New: the probe wiper can be scheduled with `wiper.interval_h`.
- Changed: CSV exports use ISO 8601 timestamps with an offset.

## 3.5.2 (2025-08-04)

- Fixed: the CSV export missed the last day of the selected range.

## 3.5.0 (2025-07-01)

- Removed: support for the HX-10 probe; its readings stay readable but it can no longer be
  registered.
- New: device groups, with bulk firmware updates per group.
- New: API error code E_RANGE_TOO_LARGE for requests spanning more than 31 days.

## 3.4.0 (2025-05-12)

- New: Bluetooth setup from the mobile app.
- Changed: the minimum Android version is now 10.
"""

TEXTS["docs/security-policy.md"] = """\
# Information security policy (summary)

This summary is binding for every employee and contractor. The full policy is in the
compliance repository.

## Accounts

- Multi-factor authentication on every company account, no exceptions.
- Passwords are at least 14 characters long and are kept in the company password manager.
  They are not rotated on a schedule, only after a suspected compromise.

## Data retention

- Raw telemetry from customer devices is kept for 400 days, then deleted.
- Hourly aggregates are kept for 7 years, or as long as the customer's contract requires.
- Support tickets are deleted 3 years after they are closed.

## Devices

Laptops use full-disk encryption and lock after 5 minutes of inactivity. Lost or stolen devices
are reported to the security team within 24 hours at security@halcyon.example.

## Incidents

Anyone who suspects a security incident reports it immediately; the security team decides
whether customers or authorities must be told (within 72 hours under the GDPR).
"""

TEXTS["docs/faq.md"] = """\
# Customer FAQ

## Can I use my own LoRaWAN network server?

Yes. HX probes work with The Things Stack and ChirpStack; import the device keys from the
Tidewater app and point the integration at your project's webhook URL.

## Can the HX-40 be mounted horizontally?

Yes, as long as the optical window points at least 15 degrees downward so that air bubbles
cannot collect on it.

## What happens to my data when my subscription ends?

Your project becomes read-only and you can export everything for 90 days. After that the
project and its data are deleted.

## Do you offer a discount for large orders?

Yes, from 25 units. See the current price list or ask your account manager.

## Which regions does the radio support?

EU868 and US915. AS923 is planned for 2026.
"""

TEXTS["notes/meeting-2025-09-18.txt"] = """\
Product council, 18 September 2025
Present: Marta Keller (product), Jonas Weber (platform), Lena Fischer (sales), Tomas Berg (ops)

1. HX-20 end of life
   The 3G modem in the HX-20 cannot be replaced without a new board. Decision: end of sale on
   31 December 2025, support until 31 December 2027. Marta Keller drafts the customer letter
   by 1 October, with a trade-in offer for the HX-40.

2. Prices for 2026
   Component costs rose through the year. Decision: sensor list prices go up 4% from
   1 January 2026; subscription prices stay the same.

3. Tidewater Pro trial
   Conversion from the 30-day trial is good but slow. Decision: extend the Pro trial to 60 days
   for new projects from 1 October.

4. AOB
   Lena asked for a cheaper buoy for small lakes; ops will cost it for the next council.
"""

TEXTS["docs/zh/部署指南.md"] = """\
# Tidewater 私有化部署指南

本文面向在客户机房部署 Tidewater 平台的实施工程师。

## 环境要求

- 操作系统：Debian 12 或 Ubuntu 22.04 以上
- 容器：Docker 24 及以上版本，并安装 docker compose 插件
- 硬件：至少 4 核 CPU、8 GB 内存、200 GB 固态硬盘
- 数据库：PostgreSQL 15（可使用客户已有的数据库集群）
- 网络：对外开放 8443 端口（网关），内部服务使用 9000 端口

## 安装步骤

1. 解压安装包，进入 `tidewater-onprem` 目录。
2. 复制 `env.example` 为 `.env`，填写数据库地址和 `TIDEWATER_GATEWAY_LISTEN`。
3. 执行 `docker compose up -d` 启动所有服务。
4. 浏览器访问 `https://服务器地址:8443`，用初始管理员账号登录并立即修改密码。

## 备份

系统每天凌晨 3 点自动做一次全量备份，备份文件保留 14 天。建议把备份目录挂载到独立的存储上。

## 升级

升级前务必先备份。停止服务后替换镜像，再执行 `twctl migrate` 完成数据库迁移，最后启动服务。
"""

TEXTS["docs/zh/常见问题.md"] = """\
# 常见问题

## 传感器显示离线怎么办？

先确认网关在线。如果网关正常，查看设备详情页的信号强度：RSSI 低于 -120 dBm 时信号太弱，
建议把网关天线架高或者增加一台网关。

## 电池能用多久？

按 15 分钟采集一次计算，19 Ah 电池大约可以使用 14 个月。采集间隔越短，耗电越快。

## 保修期是多久？

整机保修 3 年。传感帽属于耗材，保修 6 个月。

## 数据可以导出吗？

可以。在项目页面选择时间范围后导出 CSV 或 Parquet 文件，单次最多 31 天。
"""

TEXTS["docs/zh/值班制度.md"] = """\
# 值班制度

## 轮换

值班每周轮换一次，每周一上午 10 点交接。交接时需要说明未关闭的告警和正在处理的故障。

## 响应时间

- 一级故障（全部客户受影响）：15 分钟内响应，1 小时内给出初步结论
- 二级故障（部分客户受影响）：30 分钟内响应
- 三级问题：下一个工作日处理

## 升级路径

值班工程师无法解决时，依次升级给技术负责人和首席技术官周宁。

## 补贴

值班期间每天补贴 200 元；节假日值班按三倍计算。
"""

TEXTS["notes/会议纪要-2025-10-09.txt"] = """\
产品规划会会议纪要（2025年10月9日）
参会人：周宁、刘建国、黄丽、陈晓东

一、产能
成都工厂明年扩产 30%，新增一条贴片线，预计 2026 年第二季度投产。

二、新产品
新一代 HX-50 多参数探头完成方案评审，样机计划 2026 年 3 月完成，重点是降低功耗和成本。

三、供应链
采购部评估第二家电池供应商，要求 11 月底前给出结论；电芯隔膜厚度必须达到 16 微米。

四、其他
东莞工厂整改已完成，质量部下月复查。
"""


# ---------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------


def block_text(blocks: list[Block]) -> str:
    """The text a perfect extractor would get: for checking the questions."""
    out = []
    for block in blocks:
        if block[0] == "table":
            out.extend(" ".join(str(c) for c in row) for row in block[1])
        else:
            out.append(str(block[-1]))
    return "\n".join(out)


def write_pdf(path: Path, blocks: list[Block]) -> None:
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    rl_config.invariant = 1  # no timestamps or random ids: the same bytes every run
    cjk = any("\u4e00" <= ch <= "\u9fff" for ch in block_text(blocks))
    base = getSampleStyleSheet()
    font = "Helvetica"
    if cjk:  # a CID font needs no font file: readers and extractors map it themselves
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        font = "STSong-Light"
    extra = {"fontName": font, "wordWrap": "CJK"} if cjk else {}
    styles = {
        "h1": ParagraphStyle("h1", parent=base["Heading1"], **extra),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], **extra),
        "p": ParagraphStyle("p", parent=base["BodyText"], leading=14, **extra),
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontSize=9, leading=11, **extra),
    }
    story: list[Any] = []
    for block in blocks:
        if block[0] == "table":
            rows = [[Paragraph(str(c), styles["cell"]) for c in row] for row in block[1]]
            table = Table(rows, repeatRows=1, hAlign="LEFT")
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story += [table, Spacer(1, 8)]
        else:
            story.append(Paragraph(block[1], styles[block[0]]))
    title = next(b[1] for b in blocks if b[0] == "h1")
    doc = SimpleDocTemplate(str(path), pagesize=A4, title=title, author="Halcyon Instruments")
    doc.build(story)


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    stamp = datetime(2025, 10, 1, 9, 0, 0)
    book.properties.created = book.properties.modified = stamp
    book.save(path)


def write_csv(path: Path, rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def rows_text(rows: list[list[Any]]) -> str:
    return "\n".join(" ".join(str(c) for c in row) for row in rows)


def plan() -> dict[str, tuple[Callable[[Path], None], str]]:
    """Every file: relative path -> (writer, the text it holds)."""
    files: dict[str, tuple[Callable[[Path], None], str]] = {}

    def pdf(name: str, blocks: list[Block]) -> None:
        files[name] = (lambda p: write_pdf(p, blocks), block_text(blocks))

    def xlsx(name: str, sheets: dict[str, list[list[Any]]]) -> None:
        files[name] = (
            lambda p: write_xlsx(p, sheets),
            "\n".join(rows_text(r) for r in sheets.values()),
        )

    def table_csv(name: str, rows: list[list[Any]]) -> None:
        files[name] = (lambda p: write_csv(p, rows), rows_text(rows))

    def text(name: str, body: str) -> None:
        files[name] = (lambda p: p.write_text(body, encoding="utf-8"), body)

    pdf("reports/q3-2025-operations-report.pdf", OPS_REPORT)
    pdf("reports/field-trial-lake-ormond.pdf", FIELD_TRIAL)
    pdf("reports/battery-safety-audit-2025.pdf", BATTERY_AUDIT)
    pdf("manuals/hx40-user-guide.pdf", USER_GUIDE)
    pdf("reports/2025年第三季度质量报告.pdf", ZH_QUALITY)
    xlsx(
        "data/price-list-2025.xlsx", {"Sensors": PRICE_SENSORS, "Volume discounts": PRICE_DISCOUNTS}
    )
    xlsx("data/server-inventory.xlsx", {"Servers": SERVERS})
    xlsx("data/员工培训记录.xlsx", {"2025培训": ZH_TRAINING})
    table_csv("data/warehouse-inventory.csv", inventory_rows())
    table_csv("data/support-tickets-2025-q3.csv", ticket_rows())
    table_csv("data/销售目标-2026.csv", ZH_SALES)
    for name, body in {**CODE, **TEXTS}.items():
        text(name, body)
    return files


def generate(out: Path) -> dict[str, str]:
    """Write the corpus under `out`; returns relative path -> source text."""
    texts = {}
    for name, (writer, body) in plan().items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        writer(target)
        texts[name] = body
    return texts


def check(texts: dict[str, str], questions: Path = QUESTIONS) -> list[str]:
    """Problems with the questions: unknown files, expected strings not in the file."""
    from tuirag.evaluate import squash  # the harness's own matching

    problems = []
    for n, line in enumerate(questions.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        q = json.loads(line)
        body = texts.get(q["file"])
        if body is None:
            problems.append(f"line {n}: no such file {q['file']}")
            continue
        for wanted in q["answer_contains"]:
            if squash(wanted) not in squash(body):
                problems.append(f"line {n}: {wanted!r} is not in {q['file']}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="verify questions.jsonl against it")
    args = parser.parse_args()
    texts = generate(args.out)
    size = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(f"wrote {len(texts)} files ({size / 1024:.0f} KB) to {args.out}")
    if args.check:
        problems = check(texts)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"questions: {'OK' if not problems else f'{len(problems)} problems'}")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
