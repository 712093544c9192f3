"""What the portals call enterprise kinds, ODR statuses, lists, takedowns and decisions."""

from __future__ import annotations

from odr.text import N_

KIND_LABELS = {
    "platform": N_("平台企业"),
    "merchant": N_("平台内经营者"),
    "group_leader": N_("团长"),
    "shop": N_("实体商户"),
}
STATUS_LABELS = {
    "none": N_("未加入在线消费纠纷解决"),
    "active": N_("在线消费纠纷解决企业"),
    "suspended": N_("在线消费纠纷解决资格已暂停"),
    "removed": N_("已退出在线消费纠纷解决"),
}
MARK_LABELS = {
    "demonstration": N_("放心消费示范单位"),
    "abnormal": N_("经营异常名录"),
}
TAKEDOWN_LABELS = {
    "deleted_post": N_("删除信息"),
    "delisted_product": N_("下架商品"),
    "merchant_offline": N_("暂停经营者服务"),
}
ACTION_LABELS = {
    "apply": N_("提交加入申请"),
    "approve": N_("批准加入"),
    "refuse": N_("不予批准"),
    "suspend": N_("暂停资格"),
    "reinstate": N_("恢复资格"),
    "remove": N_("取消资格（动态退出）"),
    "mark": N_("列入名录"),
    "lift_mark": N_("移出名录"),
    "takedown": N_("记录平台处置"),
    "merge_record": N_("合并被投诉人记录"),
}
# A business odr knows from its registration, or one a complaint named (odr/enterprises/).
RECORD_LABELS = {
    "verified": N_("已登记企业"),
    "unverified": N_("未核实的被投诉人记录"),
    "merged": N_("已合并"),
}
APPLICATION_LABELS = {
    "pending": N_("待审核"),
    "approved": N_("已批准"),
    "refused": N_("未批准"),
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
