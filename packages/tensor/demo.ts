// A short tour of @typegrad/tensor: views without copies, broadcasting, reductions, matmul.
import * as nd from "@typegrad/tensor";

nd.manualSeed(0);
const a = nd.arange(6).reshape(2, 3);
console.log("a =", a.toString());
console.log("a.T shares a's buffer:", a.transpose(0, 1).data === a.data);
console.log("a + [10, 20, 30] =", nd.add(a, nd.array([10, 20, 30])).toString());
console.log("sum over dim 0 =", nd.sum(a, 0).toString());
console.log("a @ a.T =", nd.matmul(a, a.transpose(0, 1)).toString());
console.log("stable logSoftmax([0, 1e4]) =", nd.logSoftmax(nd.array([0, 1e4]), 0).toString());
console.log("randn (seed 0) =", nd.randn([2, 3]).toString());
