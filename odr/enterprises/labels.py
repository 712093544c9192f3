"""What the portals call enterprise kinds, ODR statuses, lists, takedowns and decisions."""

from __future__ import annotations

KIND_LABELS = {
    "platform": {"zh": "平台企业", "en": "Platform"},
    "merchant": {"zh": "平台内经营者", "en": "Merchant on a platform"},
    "group_leader": {"zh": "团长", "en": "Group leader"},
    "shop": {"zh": "实体商户", "en": "Shop"},
}
STATUS_LABELS = {
    "none": {"zh": "未加入在线消费纠纷解决", "en": "Not an ODR enterprise"},
    "active": {"zh": "在线消费纠纷解决企业", "en": "ODR enterprise"},
    "suspended": {"zh": "在线消费纠纷解决资格已暂停", "en": "ODR status suspended"},
    "removed": {"zh": "已退出在线消费纠纷解决", "en": "Removed from ODR"},
}
MARK_LABELS = {
    "demonstration": {"zh": "放心消费示范单位", "en": "Trusted-consumption demonstration unit"},
    "abnormal": {"zh": "经营异常名录", "en": "Abnormal operations list"},
}
TAKEDOWN_LABELS = {
    "deleted_post": {"zh": "删除信息", "en": "Post deleted"},
    "delisted_product": {"zh": "下架商品", "en": "Product delisted"},
    "merchant_offline": {"zh": "暂停经营者服务", "en": "Merchant taken offline"},
}
ACTION_LABELS = {
    "apply": {"zh": "提交加入申请", "en": "Applied to enrol"},
    "approve": {"zh": "批准加入", "en": "Enrolment approved"},
    "refuse": {"zh": "不予批准", "en": "Enrolment refused"},
    "suspend": {"zh": "暂停资格", "en": "Suspended"},
    "reinstate": {"zh": "恢复资格", "en": "Reinstated"},
    "remove": {"zh": "取消资格（动态退出）", "en": "Removed"},
    "mark": {"zh": "列入名录", "en": "Listed"},
    "lift_mark": {"zh": "移出名录", "en": "Delisted"},
    "takedown": {"zh": "记录平台处置", "en": "Takedown recorded"},
    "merge_record": {"zh": "合并被投诉人记录", "en": "Respondent record merged"},
}
# A business odr knows from its registration, or one a complaint named (odr/enterprises/).
RECORD_LABELS = {
    "verified": {"zh": "已登记企业", "en": "Registered business"},
    "unverified": {"zh": "未核实的被投诉人记录", "en": "Unverified respondent record"},
    "merged": {"zh": "已合并", "en": "Merged"},
}
APPLICATION_LABELS = {
    "pending": {"zh": "待审核", "en": "Pending"},
    "approved": {"zh": "已批准", "en": "Approved"},
    "refused": {"zh": "未批准", "en": "Refused"},
}
ALL_LABELS = {
    "kinds": KIND_LABELS,
    "statuses": STATUS_LABELS,
    "mark_labels": MARK_LABELS,
    "takedown_labels": TAKEDOWN_LABELS,
    "action_labels": ACTION_LABELS,
    "application_labels": APPLICATION_LABELS,
    "record_labels": RECORD_LABELS,
}
